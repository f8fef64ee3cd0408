export * from './types';
export * from './generic-resource';
export * from './registry';
export * from './validate-rows';
