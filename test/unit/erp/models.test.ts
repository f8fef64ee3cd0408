import { createGenericResource } from '../../../layers/core/resources/generic-resource';
import { erpModels, erpRegistry } from '../../../layers/erp';

describe('erp models', () => {
  it('are registered in dependency order', () => {
    const order = erpModels.map((m) => m.plural);

    expect(order).toEqual(['categories', 'tags', 'suppliers', 'customers', 'contacts', 'products']);
    for (const [index, model] of erpModels.entries()) {
      for (const f of Object.values(model.fields)) {
        if (f.to && f.to !== model.plural) expect(order.indexOf(f.to)).toBeLessThan(index);
      }
    }
    expect(erpRegistry.require('products').fields.price?.scale).toBe(2);
  });

  it('never export sensitive fields', () => {
    expect(createGenericResource(erpRegistry.require('suppliers')).exportHeaders()).toEqual(['id', 'name', 'email', 'phone', 'rating']);
    expect(createGenericResource(erpRegistry.require('customers')).exportHeaders()).not.toContain('tax_id');
    expect(createGenericResource(erpRegistry.require('contacts')).exportHeaders()).toEqual([
      'id', 'first_name', 'last_name', 'email', 'phone', 'customer_id', 'supplier_id', 'is_primary', 'birthday', 'notes',
    ]);
  });
});
