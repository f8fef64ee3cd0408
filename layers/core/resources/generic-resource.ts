import type { FieldDefinition, ModelDefinition } from '../model/types';
import { defineResource, type ResourceFieldOptions } from './define-resource';
import { ID_COLUMN } from './headers';
import type { Resource } from './types';

/** The export column of a field in generic files: `<fk>_id` for a foreign key, else its name. */
export function columnForField(f: FieldDefinition): string {
  return f.type === 'foreign_key' ? `${f.name}_id` : f.name;
}

/**
 * The resource every model gets unless a custom one is registered, mirroring django-import-export's
 * ModelResource: `id`, then each plain field by name and each foreign key as `<fk>_id` (its bare
 * name is accepted on import too). Sensitive and many-to-many fields are left out both ways.
 * Records are matched by id.
 */
export function createGenericResource(model: ModelDefinition): Resource {
  const fields = Object.values(model.fields).filter((f) => !f.sensitive && f.type !== 'many_to_many');
  const fieldOptions: Record<string, ResourceFieldOptions> = {};
  for (const f of fields) if (f.type === 'foreign_key') fieldOptions[f.name] = { column: columnForField(f) };
  return defineResource(model, { fields: [ID_COLUMN, ...fields.map((f) => f.name)], fieldOptions, importIdFields: [ID_COLUMN] });
}
