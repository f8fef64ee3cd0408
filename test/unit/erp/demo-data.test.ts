import { formatValue, parseValue } from '../../../layers/core/model/codecs';
import { createGenericResource } from '../../../layers/core/resources/generic-resource';
import type { ModelDefinition } from '../../../layers/core/model/types';
import type { Resource } from '../../../layers/core/resources/types';
import { validateRows, type ImportRow, type ValidationContext } from '../../../layers/core/resources/validate-rows';
import { erpRegistry, generateDemoData } from '../../../layers/erp';
import { asImportRows } from '../../fixtures/core/cells';
import { InMemoryRecordStore } from '../../support/in-memory-record-store';

describe('generateDemoData', () => {
  it('is deterministic', () => {
    expect(generateDemoData('acme', { products: 50 })).toEqual(generateDemoData('acme', { products: 50 }));
  });

  it('gives acme and globex different data of the documented sizes', () => {
    const acme = generateDemoData('acme');
    const globex = generateDemoData('globex');
    const sizes = (data: typeof acme) => Object.fromEntries(data.map((d) => [d.model.plural, d.records.length]));

    expect(sizes(acme)).toEqual({ categories: 12, tags: 10, suppliers: 20, customers: 200, contacts: 400, products: 3000 });
    expect(sizes(globex).products).toBe(300);
    expect(acme[5]?.records[0]?.id).toBe('prod-000001');
    expect(acme[0]?.records[0]?.id).toBe('cat-0001');
    expect(globex[5]?.records[0]?.values.sku).not.toEqual(acme[5]?.records[0]?.values.sku);
    expect(acme.flatMap((d) => d.records.map((r) => JSON.stringify(r.values))).join()).toMatch(/Łódź|Müller/);
  });

  it.each(['acme', 'globex', 'initech'])('generates records that pass every model rule (%s)', (org) => {
    const data = generateDemoData(org, { products: 500 });
    const idsByModel = new Map(data.map((d) => [d.model.plural, new Set(d.records.map((r) => r.id))]));
    const problems: string[] = [];

    for (const { model, records } of data) {
      const uniqueSeen = new Map<string, Set<string>>();
      for (const record of records) {
        const where = `${model.plural}/${record.id}`;
        for (const f of Object.values(model.fields)) {
          const value = record.values[f.name] ?? null;
          // Export then re-import through the codec must give back the same canonical value.
          const parsed = parseValue(f, formatValue(f, value));
          if (!parsed.ok) problems.push(`${where}.${f.name}: ${parsed.message}`);
          else if (JSON.stringify(parsed.value) !== JSON.stringify(value)) problems.push(`${where}.${f.name}: not canonical (${JSON.stringify(value)})`);
          if (f.required && value === null) problems.push(`${where}.${f.name}: required`);
          if (value !== null && f.to) {
            const ids = Array.isArray(value) ? value.map(String) : [String(value)];
            for (const id of ids) if (!idsByModel.get(f.to)?.has(id)) problems.push(`${where}.${f.name}: dangling ${id}`);
          }
          if (value !== null && f.unique) {
            const seen = uniqueSeen.get(f.name) ?? new Set<string>();
            if (seen.has(String(value))) problems.push(`${where}.${f.name}: duplicate ${String(value)}`);
            seen.add(String(value));
            uniqueSeen.set(f.name, seen);
          }
          for (const validator of f.validators ?? []) {
            if (value !== null) {
              const message = validator(value, record.values);
              if (message) problems.push(`${where}.${f.name}: ${message}`);
            }
          }
        }
        for (const error of model.clean?.(record.values) ?? []) problems.push(`${where}: ${error.message}`);
      }
    }

    expect(problems).toEqual([]);
  });
});

describe('generateDemoData through the generic import', () => {
  it('imports its own generic export without a row error, then sees it all as unchanged', async () => {
    // Arrange
    const store = new InMemoryRecordStore();
    const errors: unknown[] = [];
    const actions: string[] = [];
    const exports: Array<{ model: ModelDefinition; header: string[]; rows: ImportRow[] }> = [];

    // Act
    for (const { model, records } of generateDemoData('globex', { products: 100 })) {
      const resource = createGenericResource(model);
      const columns = resource.exportColumns();
      const header = columns.map((c) => c.name);
      const rows = asImportRows(await resource.exportRows(records, columns, { org: 'globex', store, registry: erpRegistry }));
      const batch = await validateRows(context(store, model, resource, header), rows);
      errors.push(...batch.errors);
      await store.write('globex', model, batch.valid.map((v) => ({ record: v.record, previous: v.previous })));
      exports.push({ model, header, rows });
    }
    for (const { model, header, rows } of exports) {
      const resource = createGenericResource(model);
      const batch = await validateRows(context(store, model, resource, header), rows);
      errors.push(...batch.errors);
      actions.push(...new Set(batch.valid.map((v) => v.action)));
    }

    // Assert
    expect(errors).toEqual([]);
    expect(store.all('globex', erpRegistry.require('products'))).toHaveLength(100);
    expect(actions).toEqual(['skip', 'skip', 'skip', 'skip', 'skip', 'skip']);
  });
});

function context(store: InMemoryRecordStore, model: ModelDefinition, resource: Resource, header: string[]): ValidationContext {
  return {
    org: 'globex', model, resource, mapping: resource.mapHeader(header), store, registry: erpRegistry, user: 'u', jobId: 'j',
    now: '2024-01-01T00:00:00.000Z', newId: () => 'unused', skipUnchanged: true, sourceFormat: 'csv',
  };
}
