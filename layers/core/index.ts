/** Public API of the dataio framework core. */
export * from './errors';
export * from './model';
export * from './util/decimal';
export * from './resources';
export * from './formats/types';
export * from './formats/csv';
export * from './formats/xlsx';
export * from './formats/read-rows';
export * from './formats/table-writer';
export * from './formats/neutralize';
export * from './filters/simple-filter';
export * from './ports';
export * from './jobs';
export * from './filters';
export * from './formats/pdf';
export * from './reports';
