import type { RowError } from '../../../layers/core/jobs/data-job';
import type { ModelDefinition } from '../../../layers/core/model/types';
import { createGenericResource } from '../../../layers/core/resources/generic-resource';
import { findDuplicateClaims, validateRows, type ValidationContext } from '../../../layers/core/resources/validate-rows';
import { categories, contacts, customers, products, suppliers, tags } from '../../../layers/erp/models';
import { stored } from '../../fixtures/core/models';
import { InMemoryRecordStore } from '../../support/in-memory-record-store';
import { importRows, validationContext } from '../../support/validation-context';

const ORG = 'acme';
const NOW = '2024-06-01T12:00:00.000Z';

function context(store: InMemoryRecordStore, model: ModelDefinition, header: string[], options: Partial<ValidationContext> = {}): ValidationContext {
  return validationContext(store, options.resource ?? createGenericResource(model), header, { model, ...options });
}

const rows = importRows;

function codes(errors: RowError[]): Array<[number, string | null, string]> {
  return errors.map((e) => [e.row, e.field, e.code]);
}

function seededStore(): InMemoryRecordStore {
  const store = new InMemoryRecordStore();
  store.seed(ORG, categories, [stored('cat-1', { code: 'TOOLS', name: 'Tools', parent: null, description: null })]);
  store.seed(ORG, suppliers, [stored('sup-1', { name: 'Müller GmbH', email: null, phone: null, rating: 4, bank_account: 'DE00' })]);
  store.seed(ORG, customers, [stored('cust-1', { name: 'Bauhaus', email: null, country: 'DE', credit_limit: '100.00', active: true, tax_id: 'T1' })]);
  store.seed(ORG, tags, [stored('tag-1', { name: 'eco' })]);
  store.seed(ORG, products, [
    stored('prod-1', {
      sku: 'SKU-1', name: 'Hammer', description: 'Steel', price: '9.90', cost_price: '4.00', quantity: 5, active: true,
      status: 'active', category: 'cat-1', supplier: 'sup-1', tags: ['tag-1'], released_on: '2020-01-01', weight_kg: '1.500',
    }),
  ]);
  // Another organization holds the same ids: it must never be visible.
  store.seed('globex', categories, [stored('cat-9', { code: 'X', name: 'X', parent: null, description: null })]);
  store.resetCalls();
  return store;
}

describe('validateRows', () => {
  it('creates records with defaults and meta', async () => {
    // Arrange
    const store = seededStore();
    const ctx = context(store, products, ['sku', 'name', 'price', 'category_id', 'status']);

    // Act
    const batch = await validateRows(ctx, rows(['SKU-2', 'Saw', '12.5', 'cat-1', '']));

    // Assert
    expect(batch.errors).toEqual([]);
    expect(batch.valid).toEqual([
      {
        row: 2,
        action: 'new',
        record: {
          id: 'new-1',
          values: {
            sku: 'SKU-2', name: 'Saw', description: null, price: '12.50', cost_price: null, quantity: 0, active: true,
            status: 'draft', category: 'cat-1', supplier: null, tags: null, released_on: null, weight_kg: null,
          },
          meta: { created_at: NOW, updated_at: NOW, created_by: 'u-1', updated_by: 'u-1', job_id: 'job-1' },
        },
      },
    ]);
    expect(batch.rowsWithErrors).toBe(0);
  });

  it('updates only the columns present and keeps the rest, including sensitive values', async () => {
    const store = seededStore();
    const ctx = context(store, products, ['id', 'name', 'quantity', 'supplier_id']);

    const batch = await validateRows(ctx, rows(['prod-1', 'Big hammer', '7', '']));

    expect(batch.errors).toEqual([]);
    const [updated] = batch.valid;
    expect(updated?.action).toBe('update');
    expect(updated?.previous?.values.name).toBe('Hammer');
    expect(updated?.record.values).toMatchObject({ sku: 'SKU-1', name: 'Big hammer', quantity: 7, supplier: null, cost_price: '4.00', tags: ['tag-1'], price: '9.90' });
    expect(updated?.record.meta).toEqual({ created_at: '2024-01-01T00:00:00.000Z', created_by: 'seed', updated_at: NOW, updated_by: 'u-1', job_id: 'job-1' });
  });

  it('creates a record with an unknown explicit id under that id', async () => {
    const store = seededStore();
    const ctx = context(store, tags, ['id', 'name']);

    const batch = await validateRows(ctx, rows(['tag-77', 'pro'], [' ', 'bulk']));

    expect(batch.valid.map((v) => [v.action, v.record.id])).toEqual([['new', 'tag-77'], ['new', 'new-1']]);
  });

  it('reports required, parse, not_found and unique errors with column, field and raw value', async () => {
    const store = seededStore();
    const ctx = context(store, products, ['SKU', 'name', 'price', 'category', 'supplier_id', 'quantity', 'status', 'released_on']);

    const batch = await validateRows(
      ctx,
      rows(
        ['SKU-1', 'Dup', '1', 'cat-1', '', '1', 'draft', ''],
        ['SKU-3', '', 'abc', 'cat-9', 'sup-404', '-1', 'gone', '2023-02-30'],
        ['SKU-4', 'Ok', '1.999', ' ', '', 'x', 'Active', ''],
      ),
    );

    expect(codes(batch.errors)).toEqual([
      [2, 'sku', 'unique'],
      [3, 'price', 'invalid'],
      [3, 'quantity', 'min_value'],
      [3, 'status', 'invalid_choice'],
      [3, 'released_on', 'invalid'],
      [3, 'name', 'required'],
      [3, 'category', 'not_found'],
      [3, 'supplier', 'not_found'],
      [4, 'price', 'invalid'],
      [4, 'quantity', 'invalid'],
      [4, 'category', 'required'],
    ]);
    expect(batch.errors[0]).toEqual({ row: 2, column: 'SKU', field: 'sku', value: 'SKU-1', code: 'unique', message: '"SKU-1" is already used by another product' });
    expect(batch.errors.find((e) => e.field === 'category' && e.row === 3)).toMatchObject({ column: 'category', value: 'cat-9', message: "categories 'cat-9' not found" });
    expect(batch.rowsWithErrors).toBe(3);
    expect(batch.valid).toEqual([]);
  });

  it('reports a required field whose column is absent on create, not on update', async () => {
    const store = seededStore();
    const ctx = context(store, products, ['id', 'sku', 'price', 'category_id']);

    const batch = await validateRows(ctx, rows(['', 'SKU-9', '1', 'cat-1'], ['prod-1', 'SKU-1', '2', 'cat-1']));

    expect(batch.errors).toEqual([{ row: 2, column: null, field: 'name', value: null, code: 'required', message: 'name is required' }]);
    expect(batch.valid.map((v) => v.row)).toEqual([3]);
  });

  it('does not flag a unique value the row itself already holds', async () => {
    const store = seededStore();
    const ctx = context(store, products, ['id', 'sku']);

    const batch = await validateRows(ctx, rows(['prod-1', 'SKU-1']));

    expect(batch.errors).toEqual([]);
  });

  it('runs field validators and reports them as invalid', async () => {
    const store = seededStore();
    const ctx = context(store, customers, ['name', 'country']);

    const batch = await validateRows(ctx, rows(['A', 'de'], ['B', 'DE']));

    expect(batch.errors).toEqual([
      { row: 2, column: 'country', field: 'country', value: 'de', code: 'invalid', message: 'use a two-letter upper-case country code, e.g. DE' },
    ]);
  });

  it('resolves a reference to a valid earlier row of the same batch', async () => {
    const store = seededStore();
    const ctx = context(store, categories, ['id', 'code', 'name', 'parent_id']);

    const batch = await validateRows(ctx, rows(['cat-2', 'GARDEN', 'Garden', ''], ['cat-3', 'HOSE', 'Hoses', 'cat-2'], ['cat-4', '', 'Bad', ''], ['cat-5', 'X5', 'Orphan', 'cat-4']));

    expect(codes(batch.errors)).toEqual([[4, 'code', 'required'], [5, 'parent', 'not_found']]);
    expect(batch.valid.map((v) => v.record.id)).toEqual(['cat-2', 'cat-3']);
  });

  it('skips rows whose cells are all blank', async () => {
    const store = seededStore();
    const ctx = context(store, tags, ['name']);

    const batch = await validateRows(ctx, rows(['', ''], [' '], ['eco2']));

    expect(batch.valid.map((v) => v.row)).toEqual([4]);
    expect(batch.rowsWithErrors).toBe(0);
  });

  it('batches lookups: one per id set, one per referenced model, one per unique field', async () => {
    const store = seededStore();
    const ctx = context(store, products, ['id', 'sku', 'name', 'price', 'category_id', 'supplier_id']);
    const many = Array.from({ length: 250 }, (_, i) => [i % 2 ? `prod-x${i}` : '', `S-${i}`, `P ${i}`, '1', 'cat-1', i % 3 ? 'sup-1' : '']);

    const batch = await validateRows(ctx, rows(...many));

    expect(batch.valid).toHaveLength(250);
    // explicit ids + categories + suppliers
    expect(store.calls.getByIds).toBe(3);
    expect(store.calls.findByUnique).toBe(1);
    expect(store.calls.write).toBe(0);
  });

  it('claims unique values and explicit ids of every row, with or without errors', async () => {
    const store = seededStore();
    const ctx = context(store, products, ['id', 'sku', 'name', 'price', 'category_id']);

    const batch = await validateRows(ctx, rows(['p-a', 'S-1', 'A', '1', 'cat-1'], ['', 'S-2', '', 'x', 'cat-1'], ['', '', 'C', '1', 'cat-1']));

    expect(batch.claims).toEqual([
      { field: 'id', value: 'p-a', row: 2 },
      { field: 'sku', value: 'S-1', row: 2 },
      { field: 'sku', value: 'S-2', row: 3 },
    ]);
    expect(batch.rowsWithErrors).toBe(2);
  });

  describe('contacts generic import', () => {
    it('reports each kind of row problem and ignores the extra column', async () => {
      // Arrange
      const store = seededStore();
      const header = ['first_name', 'last_name', 'email', 'customer_id', 'supplier_id', 'is_primary', 'customer_name'];
      const ctx = context(store, contacts, header);

      // Act
      const batch = await validateRows(
        ctx,
        rows(
          ['Anna', 'Nowak', 'anna@x.example', 'cust-1', 'sup-1', 'yes', 'Bauhaus'],
          ['Jo', 'Doe', '', 'cust-404', '', 'no', 'Nobody'],
          ['Søren', 'Kühn', '', 'cust-1', 'sup-404', '', 'Bauhaus'],
          ['Zoë', '', '', 'cust-1', '', '', 'Bauhaus'],
          ['Łukasz', 'Dąbrowski', '', 'cust-1', '', 'true', 'Bauhaus'],
        ),
      );

      // Assert
      expect(ctx.mapping.unmapped).toEqual(['customer_name']);
      expect(batch.valid.map((v) => [v.row, v.record.values.first_name, v.record.values.is_primary])).toEqual([[2, 'Anna', true]]);
      expect(batch.errors).toEqual([
        { row: 3, column: 'customer_id', field: 'customer', value: 'cust-404', code: 'not_found', message: "customers 'cust-404' not found" },
        { row: 4, column: 'supplier_id', field: 'supplier', value: 'sup-404', code: 'not_found', message: "suppliers 'sup-404' not found" },
        { row: 5, column: 'last_name', field: 'last_name', value: '', code: 'required', message: 'last_name is required' },
        { row: 6, column: 'email', field: 'email', value: '', code: 'clean', message: 'a primary contact must have an email address' },
      ]);
      expect(batch.rowsWithErrors).toBe(4);
    });

    it('does not run clean when a cell failed to parse', async () => {
      const store = seededStore();
      const ctx = context(store, contacts, ['first_name', 'last_name', 'customer_id', 'is_primary', 'birthday']);

      const batch = await validateRows(ctx, rows(['A', 'B', 'cust-1', 'yes', 'not a date']));

      expect(codes(batch.errors)).toEqual([[2, 'birthday', 'invalid']]);
    });

    it('reports a clean error on an unmapped field with a null column', async () => {
      const store = seededStore();
      const ctx = context(store, contacts, ['first_name', 'last_name', 'customer_id', 'is_primary']);

      const batch = await validateRows(ctx, rows(['A', 'B', 'cust-1', '1']));

      expect(batch.errors).toEqual([{ row: 2, column: null, field: 'email', value: null, code: 'clean', message: 'a primary contact must have an email address' }]);
    });
  });
});

describe('findDuplicateClaims', () => {
  it('flags every later claim of a value with the first row', () => {
    const claims = [
      { field: 'sku', value: 'A', row: 9 },
      { field: 'sku', value: 'A', row: 2 },
      { field: 'sku', value: 'B', row: 3 },
      { field: 'id', value: 'A', row: 4 },
      { field: 'sku', value: 'A', row: 5 },
    ];

    const errors = findDuplicateClaims(claims, (f) => (f === 'sku' ? 'SKU' : null));

    expect(errors).toEqual([
      { row: 5, column: 'SKU', field: 'sku', value: 'A', code: 'unique', message: '"A" is already used by row 2 of this file' },
      { row: 9, column: 'SKU', field: 'sku', value: 'A', code: 'unique', message: '"A" is already used by row 2 of this file' },
    ]);
  });

  it('returns nothing without duplicates', () => {
    expect(findDuplicateClaims([{ field: 'id', value: 'x', row: 2 }], () => 'id')).toEqual([]);
  });
});
