export * from './types';
export * from './headers';
export * from './define-resource';
export * from './generic-resource';
export * from './related-records';
export * from './registry';
export * from './validate-rows';
