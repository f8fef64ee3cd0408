import { FileFormatError, ValidationError } from '../../../layers/core/errors';
import type { RecordValues } from '../../../layers/core/model/types';
import { relatedRecordId } from '../../../layers/core/resources/related-records';
import { getResourceForModel } from '../../../layers/core/resources/registry';
import { validateRows, type ValidationContext } from '../../../layers/core/resources/validate-rows';
import { erpRegistry, generateDemoData, productResource } from '../../../layers/erp';
import { categories, products, suppliers, tags } from '../../../layers/erp/models';
import { asImportRows } from '../../fixtures/core/cells';
import { stored } from '../../fixtures/core/models';
import { InMemoryRecordStore } from '../../support/in-memory-record-store';
import { importRows, validationContext } from '../../support/validation-context';

const ORG = 'acme';
const NOW = '2024-06-01T12:00:00.000Z';
const HEADER = ['sku', 'name', 'description', 'category', 'supplier', 'tags', 'price', 'quantity', 'status', 'active', 'released_on', 'weight_kg', 'stock_value'];

function context(store: InMemoryRecordStore, header: readonly string[], options: Partial<ValidationContext> = {}): ValidationContext {
  return validationContext(store, productResource, header, options);
}

const rows = importRows;

function product(id: string, values: Partial<RecordValues>) {
  return stored(id, {
    sku: null, name: null, description: null, price: null, cost_price: null, quantity: 0, active: true, status: 'draft',
    category: null, supplier: null, tags: null, released_on: null, weight_kg: null, ...values,
  });
}

function seededStore(): InMemoryRecordStore {
  const store = new InMemoryRecordStore();
  store.seed(ORG, categories, [
    stored('cat-1', { code: 'TOOLS', name: 'Tools', parent: null, description: null }),
    stored('cat-2', { code: 'GARDEN', name: 'Garden', parent: null, description: null }),
  ]);
  store.seed(ORG, suppliers, [stored('sup-1', { name: 'Müller GmbH', email: null, phone: null, rating: 4, bank_account: 'DE00' })]);
  store.seed(ORG, tags, [stored('tag-1', { name: 'eco' }), stored('tag-2', { name: 'pro' })]);
  store.seed(ORG, products, [
    product('prod-1', { sku: 'SKU-1', name: 'Hammer', description: 'Steel', price: '9.90', cost_price: '4.00', quantity: 5, status: 'active', category: 'cat-1', supplier: 'sup-1', tags: ['tag-1', 'tag-2'], released_on: '2020-01-01', weight_kg: '1.500' }),
    product('prod-2', { sku: 'SKU-2', name: 'Old saw', price: '3.00', quantity: 7, status: 'discontinued', category: 'cat-2' }),
  ]);
  store.resetCalls();
  return store;
}

describe('product resource', () => {
  it('is what jobs get for products', () => {
    expect(getResourceForModel(products)).toBe(productResource);
    expect(getResourceForModel(tags).importIdFields).toEqual(['id']);
    expect(productResource.importIdFields).toEqual(['sku']);
    expect(productResource.skipUnchanged).toBe(true);
  });

  describe('export', () => {
    it('has the documented columns, without id and cost_price', () => {
      expect(productResource.exportColumns()).toEqual([
        { name: 'sku', type: 'string' },
        { name: 'name', type: 'string' },
        { name: 'description', type: 'string' },
        { name: 'category', type: 'string' },
        { name: 'supplier', type: 'string' },
        { name: 'tags', type: 'string' },
        { name: 'price', type: 'decimal', scale: 2 },
        { name: 'quantity', type: 'integer' },
        { name: 'status', type: 'string' },
        { name: 'active', type: 'boolean' },
        { name: 'released_on', type: 'date' },
        { name: 'weight_kg', type: 'decimal', scale: 3 },
        { name: 'stock_value', type: 'decimal', scale: 2 },
      ]);
      expect(() => productResource.exportColumns({ fields: ['cost_price'] })).toThrow(ValidationError);
      expect(() => productResource.exportColumns({ fields: ['id'] })).toThrow(/'id' is not exported by the products resource/);
    });

    it('renders natural keys and the exact stock value, one query per related model per page', async () => {
      // Arrange
      const store = seededStore();
      const page = [
        ...store.all(ORG, products),
        ...Array.from({ length: 98 }, (_, i) => product(`p-${i}`, { sku: `S-${i}`, name: 'X', price: '0.10', quantity: 3, category: 'cat-2', tags: ['tag-2'] })),
      ];
      const columns = productResource.exportColumns();

      // Act
      const cells = await productResource.exportRows(page, columns, { org: ORG, store, registry: erpRegistry });

      // Assert
      expect(cells[0]).toEqual(['SKU-1', 'Hammer', 'Steel', 'TOOLS', 'Müller GmbH', 'eco|pro', '9.90', 5, 'active', true, '2020-01-01', '1.500', '49.50']);
      expect(cells[1]).toEqual(['SKU-2', 'Old saw', null, 'GARDEN', null, null, '3.00', 7, 'discontinued', true, null, null, '21.00']);
      // 0.10 × 3 is 0.30 exactly, not 0.30000000000000004.
      expect(cells[2]?.at(-1)).toBe('0.30');
      expect(store.calls.getByIds).toBe(3);
      expect(store.calls.findByUnique).toBe(0);
    });

    it('exports a chosen subset, stock_value included', async () => {
      const store = seededStore();
      const columns = productResource.exportColumns({ fields: ['stock_value', 'sku'] });

      const cells = await productResource.exportRows(store.all(ORG, products), columns, { org: ORG, store, registry: erpRegistry });

      expect(cells).toEqual([['49.50', 'SKU-1'], ['21.00', 'SKU-2']]);
      expect(store.calls.getByIds).toBe(0);
    });
  });

  describe('import', () => {
    it('creates a product from codes and names, with batched lookups', async () => {
      // Arrange
      const store = seededStore();
      const many = Array.from({ length: 200 }, (_, i) => [`N-${i}`, `Nail ${i}`, '', i % 2 ? 'TOOLS' : 'GARDEN', i % 3 ? 'Müller GmbH' : '', 'pro|eco', '0.05', '100', 'active', 'yes', '', '']);

      // Act
      const batch = await validateRows(context(store, HEADER), rows(...many));

      // Assert
      expect(batch.errors).toEqual([]);
      expect(batch.valid[1]).toEqual({
        row: 3,
        action: 'new',
        record: {
          id: 'new-2',
          values: {
            sku: 'N-1', name: 'Nail 1', description: null, price: '0.05', cost_price: null, quantity: 100, active: true, status: 'active',
            category: 'cat-1', supplier: 'sup-1', tags: ['tag-2', 'tag-1'], released_on: null, weight_kg: null,
          },
          meta: { created_at: NOW, updated_at: NOW, created_by: 'u-1', updated_by: 'u-1', job_id: 'job-1' },
        },
      });
      // products.sku, categories.code, suppliers.name, tags.name; no stored product matched.
      expect(store.calls.findByUnique).toBe(4);
      expect(store.calls.getByIds).toBe(0);
      expect(store.calls.write).toBe(0);
    });

    it('ignores the export-only stock_value column without listing it as unmapped', () => {
      const mapping = productResource.mapHeader([...HEADER, 'colour']);

      expect(mapping.columns.find((c) => c.column === 'stock_value')?.field).toBeNull();
      expect(mapping.unmapped).toEqual(['colour']);
    });

    it('reports an unknown category code with the raw value', async () => {
      const batch = await validateRows(context(seededStore(), ['sku', 'name', 'price', 'category']), rows(['N-1', 'Nail', '1', ' NOPE ']));

      expect(batch.errors).toEqual([
        { row: 2, column: 'category', field: 'category', value: ' NOPE ', code: 'not_found', message: "categories with code 'NOPE' not found" },
      ]);
      expect(batch.valid).toEqual([]);
    });

    it('leaves the supplier empty when its name is unknown', async () => {
      const batch = await validateRows(context(seededStore(), ['sku', 'name', 'price', 'category', 'supplier']), rows(['N-1', 'Nail', '1', 'TOOLS', 'Nobody Ltd']));

      expect(batch.errors).toEqual([]);
      expect(batch.valid[0]?.record.values.supplier).toBeNull();
    });

    it('creates missing tags with the same ids in two separate validations', async () => {
      // Arrange: two chunks of one file, validated independently (in parallel in a real job).
      const header = ['sku', 'name', 'price', 'category', 'tags'];
      const first = validateRows(context(seededStore(), header), rows(['N-1', 'A', '1', 'TOOLS', 'outdoor|eco|red'], ['N-2', 'B', '1', 'TOOLS', 'Red|outdoor']));
      const second = validateRows(context(seededStore(), header), [{ row: 900, cells: ['N-3', 'C', '1', 'TOOLS', 'outdoor'] }]);

      // Act
      const [a, b] = await Promise.all([first, second]);

      // Assert
      const outdoor = relatedRecordId(ORG, tags, 'name', 'outdoor');
      expect(a.related.map((r) => [r.model, r.record.id, r.record.values.name])).toEqual([
        ['tags', outdoor, 'outdoor'],
        ['tags', relatedRecordId(ORG, tags, 'name', 'red'), 'red'],
        ['tags', relatedRecordId(ORG, tags, 'name', 'Red'), 'Red'],
      ]);
      expect(b.related).toEqual([a.related[0]]);
      expect(a.valid[0]?.record.values.tags).toEqual([outdoor, 'tag-1', relatedRecordId(ORG, tags, 'name', 'red')]);
      expect(b.valid[0]?.record.values.tags).toEqual([outdoor]);
      expect(relatedRecordId('globex', tags, 'name', 'outdoor')).not.toBe(outdoor);
    });

    it('updates the product with the same (normalized) sku, only the columns present', async () => {
      const store = seededStore();

      const batch = await validateRows(context(store, ['SKU', 'quantity', 'tags']), rows([' sku-1 ', '6', 'eco']));

      expect(batch.errors).toEqual([]);
      expect(batch.valid).toHaveLength(1);
      const [row] = batch.valid;
      expect(row?.action).toBe('update');
      expect(row?.record.id).toBe('prod-1');
      expect(row?.previous?.values.quantity).toBe(5);
      expect(row?.record.values).toMatchObject({ sku: 'SKU-1', name: 'Hammer', quantity: 6, tags: ['tag-1'], cost_price: '4.00', supplier: 'sup-1' });
      expect(batch.claims).toEqual([{ field: 'sku', value: 'SKU-1', row: 2 }]);
      // The sku holders, then the matched product.
      expect(store.calls.getByIds).toBe(1);
    });

    it('requires a sku in every row', async () => {
      const batch = await validateRows(context(seededStore(), ['sku', 'name', 'price', 'category']), rows(['  ', 'Nail', '1', 'TOOLS']));

      expect(batch.errors).toEqual([
        { row: 2, column: 'sku', field: 'sku', value: '', code: 'required', message: 'sku is required' },
      ]);
    });

    it('rejects a file without a sku column', () => {
      expect(() => productResource.mapHeader(['name', 'price', 'category'])).toThrow(FileFormatError);
      expect(() => productResource.mapHeader(['name', 'price', 'category'])).toThrow(/no 'sku' column/);
    });

    it('refuses to discontinue a product that still has stock, but leaves older data alone', async () => {
      const header = ['sku', 'name', 'price', 'category', 'quantity', 'status'];

      const batch = await validateRows(
        context(seededStore(), header),
        rows(['SKU-1', 'Hammer', '9.90', 'TOOLS', '5', 'discontinued'], ['N-1', 'Nail', '1', 'TOOLS', '0', 'discontinued'], ['SKU-2', 'Old saw', '3.50', 'GARDEN', '7', 'discontinued']),
      );

      expect(batch.errors).toEqual([
        { row: 2, column: 'status', field: 'status', value: 'discontinued', code: 'invalid', message: 'a product with stock (quantity 5) cannot be discontinued' },
      ]);
      expect(batch.valid.map((v) => [v.row, v.action])).toEqual([[3, 'new'], [4, 'update']]);
    });
  });

  describe('skip_unchanged', () => {
    it('validates its own export, re-imported unchanged, as skip — tags in any order', async () => {
      // Arrange
      const store = seededStore();
      const columns = productResource.exportColumns();
      const exported = asImportRows(await productResource.exportRows(store.all(ORG, products), columns, { org: ORG, store, registry: erpRegistry }));
      const tagsIndex = HEADER.indexOf('tags');
      const reordered = exported.map((r) => ({ ...r, cells: r.cells.map((cell, i) => (i === tagsIndex ? cell.split('|').reverse().join(' | ') : cell)) }));

      // Act
      const batch = await validateRows(context(store, columns.map((c) => c.name)), reordered);

      // Assert
      expect(batch.errors).toEqual([]);
      expect(batch.valid.map((v) => [v.action, v.record])).toEqual(store.all(ORG, products).map((r) => ['skip', r]));
      expect(batch.related).toEqual([]);
    });

    it('updates unchanged rows when the job turns skip_unchanged off', async () => {
      const store = seededStore();
      const columns = productResource.exportColumns();
      const exported = asImportRows(await productResource.exportRows(store.all(ORG, products), columns, { org: ORG, store, registry: erpRegistry }));

      const batch = await validateRows(context(store, HEADER, { skipUnchanged: false }), exported);

      expect(batch.valid.map((v) => v.action)).toEqual(['update', 'update']);
    });

    it('skips every demo product on a round trip through the resource', async () => {
      // Arrange
      const store = new InMemoryRecordStore();
      const data = generateDemoData('globex', { products: 300 });
      for (const { model, records } of data) store.seed('globex', model, records);
      const records = store.all('globex', products);
      const columns = productResource.exportColumns();
      const exported = asImportRows(await productResource.exportRows(records, columns, { org: 'globex', store, registry: erpRegistry }));

      // Act
      const batch = await validateRows({ ...context(store, HEADER), org: 'globex' }, exported);

      // Assert
      expect(batch.errors).toEqual([]);
      expect(batch.valid.filter((v) => v.action !== 'skip')).toEqual([]);
      expect(batch.valid).toHaveLength(300);
    });
  });
});
