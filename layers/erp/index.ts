import { createModelRegistry } from '../core/model/define-model';
import type { ModelDefinition } from '../core/model/types';
import { categories, contacts, customers, products, suppliers, tags } from './models';

export * from './models';
// Importing the resources registers them, so jobs find the custom product resource.
export * from './resources';
export { generateDemoData } from './demo-data';
export type { DemoDataOptions, DemoModelData } from './demo-data';

/** The ERP models, each after the models it references. */
export const erpModels: readonly ModelDefinition[] = [categories, tags, suppliers, customers, contacts, products];

/** The ERP models by plural name. */
export const erpRegistry = createModelRegistry(erpModels);
// Importing the reports registers them, so PDF exports find them by name.
export * from './reports';
