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
    const names = (plural: string) => createGenericResource(erpRegistry.require(plural)).exportColumns().map((c) => c.name);
    expect(names('suppliers')).toEqual(['id', 'name', 'email', 'phone', 'rating']);
    expect(names('customers')).not.toContain('tax_id');
    expect(names('products')).not.toContain('cost_price');
    expect(names('contacts')).toEqual([
      'id', 'first_name', 'last_name', 'email', 'phone', 'customer_id', 'supplier_id', 'is_primary', 'birthday', 'notes',
    ]);
  });
});
