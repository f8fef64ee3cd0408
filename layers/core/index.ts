/** Public API of the dataio framework core. */
export * from './errors';
export * from './model';
export * from './util/decimal';
export * from './resources';
export * from './formats/csv';
export * from './filters/simple-filter';
export * from './ports';
export * from './jobs/data-job';
