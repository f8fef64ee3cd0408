import { defineModel, field } from '../core/model/define-model';
import type { FieldValue } from '../core/model/types';

/** ISO 3166-1 alpha-2 codes are two upper-case letters; anything else is a typo. */
const twoUpperCaseLetters = (value: FieldValue): string | undefined =>
  typeof value === 'string' && /^[A-Z]{2}$/.test(value) ? undefined : 'use a two-letter upper-case country code, e.g. DE';

/** Product categories, in a tree through `parent`. */
export const categories = defineModel({
  name: 'category',
  plural: 'categories',
  fields: {
    code: field.string({ maxLength: 64, required: true, unique: true }),
    name: field.string({ maxLength: 200, required: true }),
    parent: field.foreignKey('categories'),
    description: field.text(),
  },
});

/** Free labels attached to products. */
export const tags = defineModel({
  name: 'tag',
  plural: 'tags',
  fields: {
    name: field.string({ maxLength: 100, required: true, unique: true }),
  },
});

/** Companies products are bought from. */
export const suppliers = defineModel({
  name: 'supplier',
  plural: 'suppliers',
  fields: {
    name: field.string({ maxLength: 200, required: true, unique: true }),
    email: field.email(),
    phone: field.string({ maxLength: 40 }),
    rating: field.integer({ min: 1, max: 5 }),
    bank_account: field.string({ maxLength: 64, sensitive: true }),
  },
});

/** Companies products are sold to. */
export const customers = defineModel({
  name: 'customer',
  plural: 'customers',
  fields: {
    name: field.string({ maxLength: 200, required: true }),
    email: field.email(),
    country: field.string({ maxLength: 2, label: 'country code', validators: [twoUpperCaseLetters] }),
    credit_limit: field.decimal({ precision: 12, scale: 2, min: '0' }),
    active: field.boolean({ default: true }),
    tax_id: field.string({ maxLength: 64, sensitive: true }),
  },
});

/** People at customers (and optionally suppliers). */
export const contacts = defineModel({
  name: 'contact',
  plural: 'contacts',
  fields: {
    first_name: field.string({ maxLength: 100, required: true }),
    last_name: field.string({ maxLength: 100, required: true }),
    email: field.email(),
    phone: field.string({ maxLength: 40 }),
    customer: field.foreignKey('customers', { required: true }),
    supplier: field.foreignKey('suppliers'),
    is_primary: field.boolean({ default: false }),
    birthday: field.date(),
    notes: field.text(),
    api_key: field.string({ maxLength: 128, sensitive: true }),
  },
  // The primary contact is who invoices and notices go to, so it must be reachable by email.
  clean: (record) =>
    record.is_primary === true && (record.email === null || record.email === undefined)
      ? [{ field: 'email', message: 'a primary contact must have an email address' }]
      : [],
});

/** Things that are sold. */
export const products = defineModel({
  name: 'product',
  plural: 'products',
  fields: {
    sku: field.string({ maxLength: 64, required: true, unique: true }),
    name: field.string({ maxLength: 200, required: true }),
    description: field.text(),
    price: field.decimal({ precision: 12, scale: 2, min: '0', required: true }),
    cost_price: field.decimal({ precision: 12, scale: 2, min: '0', sensitive: true }),
    quantity: field.integer({ min: 0, default: 0 }),
    active: field.boolean({ default: true }),
    status: field.choice({ choices: ['draft', 'active', 'discontinued'], default: 'draft' }),
    category: field.foreignKey('categories', { required: true }),
    supplier: field.foreignKey('suppliers'),
    tags: field.manyToMany('tags'),
    released_on: field.date(),
    weight_kg: field.decimal({ precision: 10, scale: 3, min: '0' }),
  },
});
