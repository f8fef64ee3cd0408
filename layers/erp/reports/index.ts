export * from './contact-sheet';
export * from './price-list';
