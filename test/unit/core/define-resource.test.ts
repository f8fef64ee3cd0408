import { FileFormatError, ValidationError } from '../../../layers/core/errors';
import { createModelRegistry, defineModel, field } from '../../../layers/core/model/define-model';
import type { ModelDefinition } from '../../../layers/core/model/types';
import { defineResource, type ResourceOptions } from '../../../layers/core/resources/define-resource';
import { createGenericResource } from '../../../layers/core/resources/generic-resource';
import { restoreNeutralizedText } from '../../../layers/core/formats/neutralize';
import { relatedRecordId } from '../../../layers/core/resources/related-records';
import type { Resource } from '../../../layers/core/resources/types';
import { validateRows, type ValidationContext } from '../../../layers/core/resources/validate-rows';
import { erpRegistry } from '../../../layers/erp';
import { categories, contacts, customers, products, suppliers, tags } from '../../../layers/erp/models';
import { stored } from '../../fixtures/core/models';
import { InMemoryRecordStore } from '../../support/in-memory-record-store';
import { importRows, validationContext } from '../../support/validation-context';

const ORG = 'acme';
const NOW = '2024-06-01T12:00:00.000Z';

function context(store: InMemoryRecordStore, resource: Resource, header: string[], options: Partial<ValidationContext> = {}): ValidationContext {
  return validationContext(store, resource, header, options);
}

const rows = importRows;

function seededStore(): InMemoryRecordStore {
  const store = new InMemoryRecordStore();
  store.seed(ORG, categories, [stored('cat-1', { code: 'TOOLS', name: 'Tools', parent: null, description: null })]);
  store.seed(ORG, suppliers, [stored('sup-1', { name: 'Müller GmbH', email: null, phone: null, rating: 4, bank_account: 'DE00' })]);
  store.seed(ORG, tags, [stored('tag-1', { name: 'eco' }), stored('tag-2', { name: 'pro' })]);
  store.seed(ORG, products, [
    stored('prod-1', {
      sku: 'SKU-1', name: 'Hammer', description: null, price: '9.90', cost_price: '4.00', quantity: 5, active: true,
      status: 'active', category: 'cat-1', supplier: 'sup-1', tags: ['tag-1', 'tag-2'], released_on: null, weight_kg: null,
    }),
  ]);
  store.resetCalls();
  return store;
}

describe('defineResource', () => {
  describe('checks its options', () => {
    it.each<[string, ModelDefinition, ResourceOptions, RegExp]>([
      ['an unknown field', products, { fields: ['sku', 'nope'] }, /unknown field 'nope'/],
      ['an unknown excluded field', products, { exclude: ['nope'] }, /unknown field 'nope'/],
      ['a sensitive field', products, { fields: ['sku', 'cost_price'] }, /'cost_price' is sensitive/],
      ['a field listed twice', products, { fields: ['sku', 'sku'] }, /listed twice/],
      ['options of a field the resource lacks', products, { exclude: ['name'], fieldOptions: { name: { column: 'Name' } } }, /fieldOptions.name/],
      ['a lookup on a plain field', products, { fieldOptions: { name: { lookup: { model: categories, by: 'code' } } } }, /foreign key or many-to-many/],
      ['a lookup on another model', products, { fieldOptions: { category: { lookup: { model: tags, by: 'name' } } } }, /'tags' is not 'categories'/],
      ['a lookup by an unknown field', products, { fieldOptions: { category: { lookup: { model: categories, by: 'slug' } } } }, /'slug' is not a field of categories/],
      ['a lookup by a field that is not unique', products, { fieldOptions: { category: { lookup: { model: categories, by: 'name' } } } }, /categories.name is not unique/],
      ['create for a model with other required fields', products, { fieldOptions: { category: { lookup: { model: categories, by: 'code', onMissing: 'create' } } } }, /categories.name \(required, no default\)/],
      ['create of the own model', categories, { fieldOptions: { parent: { lookup: { model: categories, by: 'code', onMissing: 'create' } } } }, /own model/],
      ['an unknown policy', products, { fieldOptions: { tags: { lookup: { model: tags, by: 'name', onMissing: 'guess' as never } } } }, /unknown onMissing policy 'guess'/],
      ['a composite import key', products, { importIdFields: ['sku', 'name'] }, /composite keys are not supported/],
      ['an import key that is not unique', products, { importIdFields: ['name'] }, /'name' must be unique/],
      ['an import key that is not importable', products, { exclude: ['sku'], importIdFields: ['sku'] }, /'sku' must be an importable column/],
      ['an import key that is unknown', products, { importIdFields: ['code'] }, /unknown field 'code'/],
      ['an export order naming no column', products, { exportOrder: ['stock'] }, /exportOrder names 'stock'/],
      ['a computed column named like a field', products, { computed: { price: { dehydrate: () => null } } }, /computed column 'price' has the name of a field/],
      ['a computed decimal without scale', products, { computed: { value: { type: 'decimal', dehydrate: () => null } } }, /needs a scale/],
      ['a column named like another field', products, { fieldOptions: { description: { column: 'name' } } }, /header 'name' would name both/],
      ['a blank column name', products, { fieldOptions: { name: { column: ' ' } } }, /non-blank name/],
    ])('rejects %s', (_, model, options, message) => {
      expect(() => defineResource(model, options)).toThrow(message);
    });

    it('accepts onMissing empty on a required foreign key (the row then fails as required)', () => {
      expect(() => defineResource(products, { fieldOptions: { category: { lookup: { model: categories, by: 'code', onMissing: 'empty' } } } })).not.toThrow();
    });
  });

  describe('defaults', () => {
    it('has id and every non-sensitive field, many-to-many included, matched by id', () => {
      const resource = defineResource(suppliers);

      expect(resource.exportColumns().map((c) => c.name)).toEqual(['id', 'name', 'email', 'phone', 'rating']);
      expect(resource.importIdFields).toEqual(['id']);
      expect(resource.skipUnchanged).toBe(true);
      expect(defineResource(products).exportColumns().map((c) => c.name)).toContain('tags');
    });
  });

  describe('exportColumns', () => {
    const resource = defineResource(products, {
      fields: ['sku', 'name', 'price', 'quantity', 'category'],
      exportOrder: ['value', 'sku'],
      fieldOptions: { name: { column: 'Product name' }, category: { column: 'Category code', lookup: { model: categories, by: 'code' } } },
      computed: { value: { type: 'decimal', scale: 2, dehydrate: () => '1.00' } },
      importIdFields: ['sku'],
    });

    it('orders columns by exportOrder, then the fields, with computed ones last', () => {
      expect(resource.exportColumns()).toEqual([
        { name: 'value', type: 'decimal', scale: 2 },
        { name: 'sku', type: 'string' },
        { name: 'Product name', type: 'string' },
        { name: 'price', type: 'decimal', scale: 2 },
        { name: 'quantity', type: 'integer' },
        { name: 'Category code', type: 'string' },
      ]);
    });

    it('picks columns by header text or field name, ignoring case', () => {
      expect(resource.exportColumns({ fields: ['category', 'product name', 'Value', 'name'] }).map((c) => c.name)).toEqual(['Category code', 'Product name', 'value']);
    });

    it.each([['cost_price', /cannot be exported/], ['tags', /not exported by the products resource/], ['nope', /unknown field 'nope'/]])('rejects %s', (name, message) => {
      expect(() => resource.exportColumns({ fields: [name] })).toThrow(ValidationError);
      expect(() => resource.exportColumns({ fields: [name] })).toThrow(message);
    });
  });

  describe('exportRows', () => {
    it('shows natural keys with one query per related model, then applies dehydrate', async () => {
      // Arrange
      const store = seededStore();
      const resource = defineResource(products, {
        fields: ['sku', 'category', 'supplier', 'tags'],
        fieldOptions: {
          category: { lookup: { model: categories, by: 'code' }, dehydrate: (_, cell) => (cell === null ? null : `#${String(cell)}`) },
          supplier: { lookup: { model: suppliers, by: 'name' } },
          tags: { lookup: { model: tags, by: 'name' } },
        },
        computed: { label: { dehydrate: (record) => `${String(record.values.sku)}!` } },
      });
      const records = [
        ...Array.from({ length: 50 }, (_, i) => stored(`p-${i}`, { sku: `S-${i}`, category: 'cat-1', supplier: i % 2 ? 'sup-1' : null, tags: ['tag-2', 'tag-1'] })),
        stored('p-x', { sku: 'S-X', category: 'cat-gone', supplier: 'sup-gone', tags: ['tag-gone'] }),
      ];

      // Act
      const out = await resource.exportRows(records, resource.exportColumns(), { org: ORG, store, registry: erpRegistry });

      // Assert
      expect(out[0]).toEqual(['S-0', '#TOOLS', null, 'pro|eco', 'S-0!']);
      expect(out[1]).toEqual(['S-1', '#TOOLS', 'Müller GmbH', 'pro|eco', 'S-1!']);
      expect(out[50]).toEqual(['S-X', null, null, null, 'S-X!']);
      expect(store.calls.getByIds).toBe(3);
      expect(store.calls.findByUnique).toBe(0);
    });
  });

  describe('mapHeader', () => {
    const resource = defineResource(products, {
      fields: ['sku', 'name', 'category'],
      fieldOptions: { sku: { column: 'SKU', aliases: ['article no'] }, category: { lookup: { model: categories, by: 'code' } } },
      computed: { note: { dehydrate: () => 'x' } },
      importIdFields: ['sku'],
    });

    it('accepts column names, field names and aliases; export-only columns are ignored without a warning', () => {
      const mapping = resource.mapHeader(['Article No', 'NAME', 'note', 'colour', 'category']);

      expect(mapping.columns.map((c) => c.field)).toEqual(['sku', 'name', null, null, 'category']);
      expect(mapping.unmapped).toEqual(['colour']);
    });

    it('fails when the import id column is missing, naming it', () => {
      expect(() => resource.mapHeader(['name', 'category'])).toThrow(FileFormatError);
      expect(() => resource.mapHeader(['name', 'category'])).toThrow(/no 'SKU' column/);
    });

    it('fails on a column given twice under two names', () => {
      expect(() => resource.mapHeader(['sku', 'article no'])).toThrow(/duplicate column 'article no'/);
    });

    it('treats id as export-only when records are matched by another field', () => {
      const withId = defineResource(products, { fields: ['id', 'sku', 'name'], importIdFields: ['sku'] });

      const mapping = withId.mapHeader(['id', 'sku', 'name']);

      expect(mapping.columns.map((c) => c.field)).toEqual([null, 'sku', 'name']);
      expect(mapping.unmapped).toEqual([]);
    });
  });
});

describe('validateRows with a declared resource', () => {
  const tagged = defineResource(products, {
    fields: ['sku', 'name', 'price', 'category', 'supplier', 'tags'],
    fieldOptions: {
      category: { lookup: { model: categories, by: 'code' } },
      supplier: { lookup: { model: suppliers, by: 'name', onMissing: 'empty' } },
      tags: { lookup: { model: tags, by: 'name', onMissing: 'create' } },
    },
    importIdFields: ['sku'],
  });
  const header = ['sku', 'name', 'price', 'category', 'supplier', 'tags'];

  it('creates missing related records with deterministic ids, once per batch, only for valid rows', async () => {
    const store = seededStore();

    const batch = await validateRows(
      context(store, tagged, header),
      rows(['N-1', 'A', '1', 'TOOLS', '', 'new|eco'], ['N-2', 'B', '1', 'TOOLS', '', 'new'], ['N-3', 'C', '1', 'NOPE', '', 'orphan']),
    );

    const id = relatedRecordId(ORG, tags, 'name', 'new');
    expect(id).toMatch(/^tag-[0-9a-f]{24}$/);
    expect(batch.related).toEqual([
      { model: 'tags', record: { id, values: { name: 'new' }, meta: { created_at: NOW, updated_at: NOW, created_by: 'u-1', updated_by: 'u-1', job_id: 'job-1' } } },
    ]);
    expect(batch.valid.map((v) => v.record.values.tags)).toEqual([[id, 'tag-1'], [id]]);
    expect(batch.errors.map((e) => [e.row, e.field, e.code])).toEqual([[4, 'category', 'not_found']]);
  });

  it('rejects a key the created record could not hold', async () => {
    const store = seededStore();

    const batch = await validateRows(context(store, tagged, header), rows(['N-1', 'A', '1', 'TOOLS', '', 'x'.repeat(101)]));

    expect(batch.errors).toEqual([expect.objectContaining({ field: 'tags', code: 'max_length', message: expect.stringMatching(/^cannot create tags with name 'x+': at most 100/) })]);
    expect(batch.related).toEqual([]);
  });

  it('reports a required foreign key left empty by the empty policy as required, naming the missing key', async () => {
    const resource = defineResource(products, {
      fields: ['sku', 'name', 'price', 'category'],
      fieldOptions: { category: { lookup: { model: categories, by: 'code', onMissing: 'empty' } } },
      importIdFields: ['sku'],
    });

    const batch = await validateRows(context(seededStore(), resource, ['sku', 'name', 'price', 'category']), rows(['N-1', 'A', '1', 'NOPE']));

    expect(batch.errors).toEqual([
      { row: 2, column: 'category', field: 'category', value: 'NOPE', code: 'required', message: "category is required (categories with code 'NOPE' not found)" },
    ]);
  });

  it('resolves a natural key of a record created by an earlier row of the batch', async () => {
    const resource = defineResource(categories, {
      fields: ['code', 'name', 'parent'],
      fieldOptions: { parent: { lookup: { model: categories, by: 'code' } } },
      importIdFields: ['code'],
    });

    const batch = await validateRows(context(seededStore(), resource, ['code', 'name', 'parent']), rows(['GARDEN', 'Garden', 'TOOLS'], ['HOSE', 'Hoses', 'GARDEN']));

    expect(batch.errors).toEqual([]);
    expect(batch.valid.map((v) => [v.record.id, v.record.values.parent])).toEqual([['new-1', 'cat-1'], ['new-2', 'new-1']]);
  });

  it('requires a value of an optional import id field', async () => {
    const items = defineModel({ name: 'item', plural: 'items', fields: { ref: field.string({ unique: true }), title: field.string() } });
    const resource = defineResource(items, { fields: ['ref', 'title'], importIdFields: ['ref'] });
    const store = new InMemoryRecordStore();

    const batch = await validateRows({ ...context(store, resource, ['ref', 'title']), registry: createModelRegistry([items]) }, rows(['', 'A'], ['R-1', 'B']));

    expect(batch.errors).toEqual([{ row: 2, column: 'ref', field: 'ref', value: '', code: 'required', message: 'ref is required to match items' }]);
    expect(batch.valid.map((v) => [v.action, v.record.values.ref])).toEqual([['new', 'R-1']]);
  });

  it('reads text cells without the apostrophe an export put before a formula-like value', async () => {
    const store = seededStore();
    store.seed(ORG, tags, [stored('tag-3', { name: '-sale' })]);

    const batch = await validateRows(context(store, tagged, header), rows(["'=N-1", "'+Big", '12', 'TOOLS', '', "'-sale|eco"]));

    expect(batch.errors).toEqual([]);
    expect(batch.valid[0]?.record.values).toMatchObject({ sku: '=N-1', name: '+Big', price: '12.00', tags: ['tag-3', 'tag-1'] });
    expect(batch.related).toEqual([]);
    expect(restoreNeutralizedText("'@x")).toBe('@x');
    expect(restoreNeutralizedText("'plain")).toBe("'plain");
    expect(restoreNeutralizedText("'")).toBe("'");
  });

  it('skips a row equal to the stored record, tags compared as a set', async () => {
    const store = seededStore();
    const ctx = context(store, tagged, header);

    const batch = await validateRows(ctx, rows(['SKU-1', 'Hammer', '9.9', 'TOOLS', 'Müller GmbH', 'pro|eco']));

    expect(batch.valid).toEqual([{ row: 2, action: 'skip', record: store.all(ORG, products)[0] }]);
    expect(batch.related).toEqual([]);
  });

  it('updates instead when skip_unchanged is off', async () => {
    const batch = await validateRows(context(seededStore(), tagged, header, { skipUnchanged: false }), rows(['SKU-1', 'Hammer', '9.9', 'TOOLS', 'Müller GmbH', 'pro|eco']));

    expect(batch.valid.map((v) => v.action)).toEqual(['update']);
  });

  describe('hooks', () => {
    it('runs beforeRow for every row before any lookup, afterRow after the checks, in row order', async () => {
      // Arrange
      const store = seededStore();
      const events: string[] = [];
      const resource = defineResource(tags, {
        fields: ['name'],
        importIdFields: ['name'],
        hooks: {
          beforeRow: (row) => {
            events.push(`before ${row.row} queries=${store.calls.findByUnique}`);
          },
          afterRow: (row) => {
            events.push(`after ${row.row} ${row.action} errors=${row.errors.length}`);
          },
        },
      });

      // Act
      await validateRows(context(store, resource, ['name']), rows(['eco'], [''], ['x'.repeat(101)], ['fresh']));

      // Assert
      expect(events).toEqual(['before 2 queries=0', 'before 4 queries=0', 'before 5 queries=0', 'after 2 skip errors=0', 'after 4 new errors=1', 'after 5 new errors=0']);
    });

    it('lets beforeRow rewrite cells by field or column name, fill absent fields and reject rows', async () => {
      const store = seededStore();
      const resource = defineResource(products, {
        fields: ['sku', 'name', 'price', 'category', 'quantity'],
        fieldOptions: { sku: { column: 'Article' }, category: { lookup: { model: categories, by: 'code' } } },
        importIdFields: ['sku'],
        hooks: {
          beforeRow: (row, ctx) => {
            row.set('ARTICLE', (row.get('sku') ?? '').trim().toUpperCase());
            if (row.get('category') === undefined) row.set('category', 'TOOLS');
            if (row.get('name') === 'forbidden') ctx.addError({ field: 'name', message: 'not this name' });
          },
        },
      });

      const batch = await validateRows(context(store, resource, ['Article', 'name', 'price']), rows([' sku-1 ', 'Big hammer', '9.90'], ['n-2', 'forbidden', '1']));

      expect(batch.valid.map((v) => [v.action, v.record.id, v.record.values.name, v.record.values.category])).toEqual([['update', 'prod-1', 'Big hammer', 'cat-1']]);
      expect(batch.errors).toEqual([{ row: 3, column: 'name', field: 'name', value: 'forbidden', code: 'invalid', message: 'not this name' }]);
    });

    it('throws when beforeRow sets a column the resource cannot import', async () => {
      const resource = defineResource(tags, { fields: ['name'], hooks: { beforeRow: (row) => row.set('colour', 'red') } });

      await expect(validateRows(context(seededStore(), resource, ['name']), rows(['x']))).rejects.toThrow(/'colour' is not an importable column of the tags resource/);
    });

    it('lets afterRow see the merged values and the stored record and fail the row', async () => {
      const seen: unknown[] = [];
      const resource = defineResource(customers, {
        fields: ['id', 'name', 'credit_limit', 'active'],
        hooks: {
          afterRow: (row, ctx) => {
            seen.push([row.action, row.values.active, row.previous?.id]);
            if (row.values.active === false && row.values.credit_limit !== null) ctx.addError({ field: 'credit_limit', code: 'clean', message: 'inactive customers get no credit' });
            if (row.values.name === 'Nobody') ctx.addError({ message: 'who is this?' });
          },
        },
      });
      const store = seededStore();
      store.seed(ORG, customers, [stored('cust-1', { name: 'Bauhaus', email: null, country: 'DE', credit_limit: '100.00', active: true, tax_id: 'T1' })]);

      const batch = await validateRows(context(store, resource, ['id', 'name', 'active']), rows(['cust-1', 'Bauhaus', 'no'], ['', 'Nobody', '']));

      expect(seen).toEqual([['update', false, 'cust-1'], ['new', true, undefined]]);
      expect(batch.errors).toEqual([
        { row: 2, column: null, field: 'credit_limit', value: null, code: 'clean', message: 'inactive customers get no credit' },
        { row: 3, column: null, field: null, value: null, code: 'invalid', message: 'who is this?' },
      ]);
    });
  });
});

describe('generic resource and skip_unchanged', () => {
  it('validates an unchanged re-import of its own export as skip', async () => {
    const store = seededStore();
    const resource = createGenericResource(contacts);
    store.seed(ORG, customers, [stored('cust-1', { name: 'Bauhaus', email: null, country: 'DE', credit_limit: '100.00', active: true, tax_id: 'T1' })]);
    const records = [
      stored('cont-1', { first_name: 'Anna', last_name: 'Nowak', email: 'a@x.example', phone: null, customer: 'cust-1', supplier: null, is_primary: true, birthday: '1980-02-29', notes: ' two\nlines ', api_key: 'k' }),
      stored('cont-2', { first_name: 'Jo', last_name: 'Doe', email: null, phone: '+1', customer: 'cust-1', supplier: 'sup-1', is_primary: false, birthday: null, notes: null, api_key: null }),
    ];
    store.seed(ORG, contacts, records);
    const columns = resource.exportColumns();
    const cells = await resource.exportRows(records, columns, { org: ORG, store, registry: erpRegistry });

    const batch = await validateRows(
      context(store, resource, columns.map((c) => c.name)),
      cells.map((row, i) => ({ row: i + 2, cells: row.map((cell) => (cell === null ? '' : String(cell))) })),
    );

    expect(batch.errors).toEqual([]);
    expect(batch.valid.map((v) => [v.action, v.record.id])).toEqual([['skip', 'cont-1'], ['skip', 'cont-2']]);
  });

  it('reads Excel serial dates only from xlsx files', async () => {
    const store = seededStore();
    const resource = createGenericResource(contacts);
    store.seed(ORG, customers, [stored('cust-1', { name: 'Bauhaus', email: null, country: 'DE', credit_limit: null, active: true, tax_id: null })]);
    const header = ['first_name', 'last_name', 'customer_id', 'birthday'];

    const fromXlsx = await validateRows(context(store, resource, header, { sourceFormat: 'xlsx' }), rows(['A', 'B', 'cust-1', '29281']));
    const fromCsv = await validateRows(context(store, resource, header), rows(['A', 'B', 'cust-1', '29281']));

    expect(fromXlsx.valid[0]?.record.values.birthday).toBe('1980-03-01');
    expect(fromCsv.errors.map((e) => [e.field, e.code])).toEqual([['birthday', 'invalid']]);
  });
});
