/** The export filter language: parse once, compile per scan, order the result. */
export * from './filter-tree';
export * from './compile-filter';
export * from './compare-values';
export * from './ordering';
