import { NotFoundError } from '../../../layers/core/errors';
import { createModelRegistry, defineModel, field } from '../../../layers/core/model/define-model';

describe('defineModel', () => {
  it('names the fields in declaration order', () => {
    // Arrange / Act
    const model = defineModel({ name: 'thing', plural: 'things', fields: { b: field.string(), a: field.integer({ min: 1 }) } });

    // Assert
    expect(Object.keys(model.fields)).toEqual(['b', 'a']);
    expect(model.fields.a).toEqual({ name: 'a', type: 'integer', min: 1 });
    expect(field.email().maxLength).toBe(254);
  });

  it.each([
    ['id', field.string(), /reserved/],
    ['pk', field.string(), /reserved/],
    ['sk', field.string(), /reserved/],
    ['_secret', field.string(), /reserved/],
    ['Name', field.string(), /lower-case/],
    ['amount', field.decimal({ precision: 2, scale: 3 }), /scale/],
    ['amount', field.decimal({ precision: 0, scale: 0 }), /precision/],
    ['amount', field.decimal({ precision: 5, scale: 1.5 }), /scale/],
    ['amount', field.decimal({ precision: 5, scale: 2, min: 'x' }), /min\/max/],
    ['size', field.choice({ choices: [] }), /at least one choice/],
    ['size', field.choice({ choices: ['a', 'A'] }), /distinct/],
    ['size', field.choice({ choices: ['a'], default: 'b' }), /default/],
    ['flag', field.boolean({ unique: true }), /cannot be unique/],
    ['title', field.string({ maxLength: 0 }), /maxLength/],
    ['count', field.integer({ min: 5, max: 1 }), /min is greater/],
  ])('rejects field %s (%#)', (name, spec, message) => {
    expect(() => defineModel({ name: 'thing', plural: 'things', fields: { [name]: spec } })).toThrow(message);
  });

  it('rejects a field that clashes with a foreign key column', () => {
    expect(() =>
      defineModel({ name: 'thing', plural: 'things', fields: { owner: field.foreignKey('owners'), owner_id: field.string() } }),
    ).toThrow(/clashes/);
  });
});

describe('createModelRegistry', () => {
  const owners = defineModel({ name: 'owner', plural: 'owners', fields: { name: field.string() } });
  const pets = defineModel({ name: 'pet', plural: 'pets', fields: { owner: field.foreignKey('owners') } });

  it('finds models by plural', () => {
    const registry = createModelRegistry([owners, pets]);

    expect(registry.get('pets')).toBe(pets);
    expect(registry.get('nope')).toBeUndefined();
    expect(registry.require('owners')).toBe(owners);
    expect(registry.all()).toEqual([owners, pets]);
  });

  it('throws NotFoundError for an unknown model', () => {
    const registry = createModelRegistry([owners]);

    expect(() => registry.require('pets')).toThrow(NotFoundError);
    expect(() => registry.require('pets')).toThrow("unknown model 'pets'");
  });

  it('rejects relations to unregistered models and duplicates', () => {
    expect(() => createModelRegistry([pets])).toThrow(/unknown model 'owners'/);
    expect(() => createModelRegistry([owners, owners])).toThrow(/twice/);
  });
});
