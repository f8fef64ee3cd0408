import { FileFormatError, ValidationError } from '../../../layers/core/errors';
import { createGenericResource } from '../../../layers/core/resources/generic-resource';
import { clearResourceRegistry, getResourceForModel, registerResource } from '../../../layers/core/resources/registry';
import { erpRegistry } from '../../../layers/erp';
import { contacts, products } from '../../../layers/erp/models';
import { fixtureRegistry, stored, widgets } from '../../fixtures/core/models';
import { InMemoryRecordStore } from '../../support/in-memory-record-store';

describe('createGenericResource', () => {
  describe('exportColumns', () => {
    it('lists id, plain fields and foreign keys as <fk>_id, without sensitive or many-to-many fields', () => {
      const resource = createGenericResource(products);

      expect(resource.exportColumns().map((c) => c.name)).toEqual([
        'id', 'sku', 'name', 'description', 'price', 'quantity', 'active', 'status', 'category_id', 'supplier_id', 'released_on', 'weight_kg',
      ]);
    });

    it('types each column after its field', () => {
      const resource = createGenericResource(widgets);

      expect(resource.exportColumns()).toEqual([
        { name: 'id', type: 'string' },
        { name: 'code', type: 'string' },
        { name: 'title', type: 'string' },
        { name: 'notes', type: 'string' },
        { name: 'count', type: 'integer' },
        { name: 'price', type: 'decimal', scale: 2 },
        { name: 'enabled', type: 'boolean' },
        { name: 'flagged', type: 'boolean' },
        { name: 'day', type: 'date' },
        { name: 'at', type: 'datetime' },
        { name: 'size', type: 'string' },
        { name: 'email', type: 'string' },
        { name: 'owner_id', type: 'string' },
        { name: 'extra', type: 'string' },
      ]);
    });

    it('keeps the requested fields and their order', () => {
      const resource = createGenericResource(products);

      expect(resource.exportColumns({ fields: ['sku', 'category', 'supplier_id', 'id', 'sku'] }).map((c) => c.name)).toEqual(['sku', 'category_id', 'supplier_id', 'id']);
    });

    it.each([['nope', /unknown field 'nope'/], ['cost_price', /'cost_price' cannot be exported/], ['tags', /'tags'/]])(
      'rejects %s',
      (name, message) => {
        const resource = createGenericResource(products);

        expect(() => resource.exportColumns({ fields: [name] })).toThrow(ValidationError);
        expect(() => resource.exportColumns({ fields: [name] })).toThrow(message);
      },
    );
  });

  describe('exportRows', () => {
    it('renders typed cells in column order without querying the store', async () => {
      const resource = createGenericResource(products);
      const store = new InMemoryRecordStore();
      const record = stored('prod-1', { sku: 'A-1', price: '9.90', active: false, category: 'cat-1', tags: ['t1'], cost_price: '1.00', quantity: 0 });
      const columns = resource.exportColumns({ fields: ['id', 'sku', 'price', 'active', 'category_id', 'quantity', 'supplier_id'] });

      const rows = await resource.exportRows([record], columns, { org: 'acme', store, registry: erpRegistry });

      expect(rows).toEqual([['prod-1', 'A-1', '9.90', false, 'cat-1', 0, null]]);
      expect(store.calls).toEqual({ getByIds: 0, findByUnique: 0, write: 0, scan: 0 });
    });

    it('renders dates, date-times and JSON as text', async () => {
      const resource = createGenericResource(widgets);
      const record = stored('w-1', { day: '2024-02-29', at: '2024-01-31T08:00:00.000Z', extra: { a: [1] }, count: 3, enabled: true });

      const [row] = await resource.exportRows([record], resource.exportColumns({ fields: ['day', 'at', 'extra', 'count', 'enabled', 'title'] }), {
        org: 'acme', store: new InMemoryRecordStore(), registry: fixtureRegistry,
      });

      expect(row).toEqual(['2024-02-29', '2024-01-31T08:00:00.000Z', '{"a":[1]}', 3, true, null]);
    });

    it('rejects a column that is not the resource\'s', async () => {
      const resource = createGenericResource(products);

      await expect(resource.exportRows([], [{ name: 'tags', type: 'string' }], { org: 'acme', store: new InMemoryRecordStore(), registry: erpRegistry })).rejects.toThrow(ValidationError);
    });
  });

  it('matches records by id and skips unchanged rows by default', () => {
    const resource = createGenericResource(products);

    expect(resource.importIdFields).toEqual(['id']);
    expect(resource.skipUnchanged).toBe(true);
    expect(resource.hooks).toEqual({});
  });

  describe('mapHeader', () => {
    it('matches ignoring BOM, spaces and case, accepting <fk> and <fk>_id', () => {
      const resource = createGenericResource(contacts);

      const mapping = resource.mapHeader(['\uFEFFID', ' First_Name ', 'last_name', 'Customer', 'supplier_id', 'customer_name', 'api_key', '']);

      expect(mapping.columns).toEqual([
        { index: 0, column: 'ID', field: 'id' },
        { index: 1, column: 'First_Name', field: 'first_name' },
        { index: 2, column: 'last_name', field: 'last_name' },
        { index: 3, column: 'Customer', field: 'customer' },
        { index: 4, column: 'supplier_id', field: 'supplier' },
        { index: 5, column: 'customer_name', field: null },
        { index: 6, column: 'api_key', field: null },
        { index: 7, column: '', field: null },
      ]);
      expect(mapping.unmapped).toEqual(['customer_name', 'api_key']);
    });

    it('never requires an id column', () => {
      expect(createGenericResource(products).mapHeader(['sku']).columns).toEqual([{ index: 0, column: 'sku', field: 'sku' }]);
    });

    it('leaves many-to-many columns unmapped', () => {
      const mapping = createGenericResource(products).mapHeader(['sku', 'tags']);

      expect(mapping.unmapped).toEqual(['tags']);
    });

    it.each([[['sku', ' SKU']], [['category', 'category_id']]])('rejects duplicate columns %j', (header) => {
      const resource = createGenericResource(products);

      expect(() => resource.mapHeader(header)).toThrow(FileFormatError);
      expect(() => resource.mapHeader(header)).toThrow(/duplicate column/);
    });
  });
});

describe('resource registry', () => {
  afterEach(() => clearResourceRegistry());

  it('returns one cached generic resource per model', () => {
    expect(getResourceForModel(contacts)).toBe(getResourceForModel(contacts));
    expect(getResourceForModel(contacts).importIdFields).toEqual(['id']);
  });

  it('prefers a registered custom resource', () => {
    const custom = { ...createGenericResource(products), importIdFields: ['sku'] };
    registerResource(custom);

    expect(getResourceForModel(products)).toBe(custom);
    clearResourceRegistry();
    expect(getResourceForModel(products)).not.toBe(custom);
  });
});
