import type { Cell } from '../../core/formats/types';
import type { StoredRecord } from '../../core/model/types';
import { defineResource } from '../../core/resources/define-resource';
import { registerResource } from '../../core/resources/registry';
import type { RawImportRow, RowHookContext, RowOutcome } from '../../core/resources/types';
import { parseDecimalParts } from '../../core/util/decimal';
import { categories, products, suppliers, tags } from '../models';

/**
 * Products in files the way people keep them in spreadsheets: matched by SKU, the category by its
 * code, the supplier by its name, tags by name, and the stock value worked out for them.
 * `id` and `cost_price` (sensitive) never appear.
 */
export const productResource = registerResource(
  defineResource(products, {
    exclude: ['id'],
    exportOrder: ['sku', 'name', 'description', 'category', 'supplier', 'tags', 'price', 'quantity', 'status', 'active', 'released_on', 'weight_kg', 'stock_value'],
    fieldOptions: {
      // A category code is the catalogue's vocabulary; an unknown one is a typo, never a new category.
      category: { lookup: { model: categories, by: 'code', onMissing: 'error' } },
      // Supplier lists drift; an unknown supplier leaves the product without one rather than failing it.
      supplier: { lookup: { model: suppliers, by: 'name', onMissing: 'empty' } },
      // Tags are free labels: a new one is simply created.
      tags: { lookup: { model: tags, by: 'name', onMissing: 'create' } },
    },
    computed: {
      stock_value: { type: 'decimal', scale: 2, dehydrate: stockValue },
    },
    importIdFields: ['sku'],
    hooks: { beforeRow: normalizeSku, afterRow: noStockWhenDiscontinuing },
  }),
);

/** SKUs are printed on labels in capitals; ` ab-1` and `AB-1` are the same product. */
function normalizeSku(row: RawImportRow): void {
  const sku = row.get('sku');
  if (sku !== undefined) row.set('sku', sku.trim().toUpperCase());
}

/**
 * A product cannot be discontinued (created so, or switched to it) while stock remains: the stock
 * must be sold or written off first. Products already discontinued with stock (older data) are left
 * alone, so re-importing an export never fails on them.
 */
function noStockWhenDiscontinuing(row: RowOutcome, ctx: RowHookContext): void {
  if (row.errors.length > 0 || row.action === 'skip') return;
  const discontinuing = row.values.status === 'discontinued' && row.previous?.values.status !== 'discontinued';
  const quantity = row.values.quantity;
  if (discontinuing && typeof quantity === 'number' && quantity > 0) {
    ctx.addError({ field: 'status', code: 'invalid', message: `a product with stock (quantity ${quantity}) cannot be discontinued` });
  }
}

/** price × quantity, exactly (cents as a bigint), with 2 places; empty when either is missing. */
function stockValue(record: StoredRecord): Cell {
  const { price, quantity } = record.values;
  if (typeof price !== 'string' || typeof quantity !== 'number') return null;
  const parts = parseDecimalParts(price);
  if (!parts) return null;
  const cents = BigInt((parts.integer || '0') + parts.fraction.padEnd(2, '0').slice(0, 2)) * BigInt(quantity);
  const negative = parts.negative !== quantity < 0 && cents !== 0n;
  const digits = (cents < 0n ? -cents : cents).toString().padStart(3, '0');
  return `${negative ? '-' : ''}${digits.slice(0, -2)}.${digits.slice(-2)}`;
}
