export * from './types';
export * from './define-model';
export * from './codecs';
