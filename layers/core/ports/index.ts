export * from './record-store';
export * from './file-store';
export * from './workflow-engine';
export * from './job-repository';
export * from './metrics';
