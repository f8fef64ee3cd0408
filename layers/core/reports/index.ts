export * from './define-report';
export * from './registry';
export * from './describe-filter';
export * from './render-report';
