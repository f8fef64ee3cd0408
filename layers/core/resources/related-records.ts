import { createHash } from 'node:crypto';
import type { ModelDefinition, StoredRecord } from '../model/types';
import type { ExportContext, ResourceField } from './types';

/**
 * The id of a related record an import creates because of the `create` lookup policy. It depends
 * only on what identifies the record, never on time or order: two chunks validated in parallel that
 * both create tag "outdoor" produce the same record, and a retried commit writes the same item.
 */
export function relatedRecordId(org: string, model: ModelDefinition, field: string, value: string): string {
  const digest = createHash('sha256').update([org, model.plural, field, value].join('\u0000')).digest('hex');
  return `${model.name}-${digest.slice(0, 24)}`;
}

/**
 * Loads the related records the lookup columns of a page of records point at: one `getByIds` per
 * related model, whatever the number of records or of columns referencing that model.
 * @returns related model plural → id → record
 */
export async function loadRelatedForExport(
  records: readonly StoredRecord[],
  fields: readonly ResourceField[],
  ctx: ExportContext,
): Promise<Map<string, Map<string, StoredRecord>>> {
  const wanted = new Map<string, { model: ModelDefinition; ids: Set<string> }>();
  for (const rf of fields) {
    if (!rf.lookup || rf.field === null) continue;
    const { model } = rf.lookup;
    const entry = wanted.get(model.plural) ?? { model, ids: new Set<string>() };
    for (const record of records) {
      const value = record.values[rf.field];
      if (Array.isArray(value)) for (const id of value) entry.ids.add(String(id));
      else if (value !== null && value !== undefined) entry.ids.add(String(value));
    }
    wanted.set(model.plural, entry);
  }
  const loaded = await Promise.all(
    [...wanted.values()]
      .filter((entry) => entry.ids.size > 0)
      .map(async ({ model, ids }) => [model.plural, await ctx.store.getByIds(ctx.org, model, [...ids])] as const),
  );
  return new Map(loaded);
}
