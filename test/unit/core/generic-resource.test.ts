import { FileFormatError, ValidationError } from '../../../layers/core/errors';
import { createGenericResource } from '../../../layers/core/resources/generic-resource';
import { clearResourceRegistry, getResourceForModel, registerResource } from '../../../layers/core/resources/registry';
import { contacts, products } from '../../../layers/erp/models';
import { stored } from '../../fixtures/core/models';

describe('createGenericResource', () => {
  describe('exportHeaders', () => {
    it('lists id, plain fields and foreign keys as <fk>_id, without sensitive or many-to-many fields', () => {
      const resource = createGenericResource(products);

      expect(resource.exportHeaders()).toEqual([
        'id', 'sku', 'name', 'description', 'price', 'quantity', 'active', 'status', 'category_id', 'supplier_id', 'released_on', 'weight_kg',
      ]);
    });

    it('keeps the requested fields and their order', () => {
      const resource = createGenericResource(products);

      expect(resource.exportHeaders({ fields: ['sku', 'category', 'supplier_id', 'id', 'sku'] })).toEqual(['sku', 'category_id', 'supplier_id', 'id']);
    });

    it.each([['nope', /unknown field 'nope'/], ['cost_price', /'cost_price' cannot be exported/], ['tags', /'tags'/]])(
      'rejects %s',
      (name, message) => {
        const resource = createGenericResource(products);

        expect(() => resource.exportHeaders({ fields: [name] })).toThrow(ValidationError);
        expect(() => resource.exportHeaders({ fields: [name] })).toThrow(message);
      },
    );
  });

  describe('exportRow', () => {
    it('formats the cells in header order', () => {
      const resource = createGenericResource(products);
      const record = stored('prod-1', { sku: 'A-1', price: '9.90', active: false, category: 'cat-1', tags: ['t1'], cost_price: '1.00', quantity: 0 });

      expect(resource.exportRow(record, ['id', 'sku', 'price', 'active', 'category_id', 'quantity', 'supplier_id'])).toEqual([
        'prod-1', 'A-1', '9.90', 'false', 'cat-1', '0', '',
      ]);
    });
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
    expect(getResourceForModel(products)).toBe(getResourceForModel(products));
  });

  it('prefers a registered custom resource', () => {
    const custom = { ...createGenericResource(products), exportHeaders: () => ['sku'] };
    registerResource(custom);

    expect(getResourceForModel(products)).toBe(custom);
    clearResourceRegistry();
    expect(getResourceForModel(products)).not.toBe(custom);
  });
});
