import type { ModelDefinition } from '../model/types';
import { createGenericResource } from './generic-resource';
import type { Resource } from './types';

const custom = new Map<string, Resource>();
const generic = new WeakMap<ModelDefinition, Resource>();

/** Registers a custom resource; it replaces the generic one of its model. Returns the resource. */
export function registerResource<R extends Resource>(resource: R): R {
  custom.set(resource.model.plural, resource);
  return resource;
}

/** The resource of a model: the registered custom one, else the generic one (built once). */
export function getResourceForModel(model: ModelDefinition): Resource {
  const registered = custom.get(model.plural);
  if (registered) return registered;
  let resource = generic.get(model);
  if (!resource) {
    resource = createGenericResource(model);
    generic.set(model, resource);
  }
  return resource;
}

/** Forgets every registered custom resource (for tests). */
export function clearResourceRegistry(): void {
  custom.clear();
}
