export * from './errors';
export * from './fonts';
export * from './pdf-layout';
export * from './pdf-table';
export * from './generic-report';

/** Content type of PDF exports. */
export const PDF_CONTENT_TYPE = 'application/pdf';
