import { ReportTooLargeError } from '../../core/formats/pdf/errors';
import { PdfTable } from '../../core/formats/pdf/pdf-table';
import type { StoredRecord } from '../../core/model/types';
import { defineReport } from '../../core/reports/define-report';
import { registerReport } from '../../core/reports/registry';
import { categories, products } from '../models';

/** The rows kept per product until the categories are known: only what the list prints. */
interface PriceRow {
  readonly sku: string;
  readonly name: string;
  readonly price: string;
  readonly quantity: string;
  readonly stockValue: string;
}

/** Sum of two decimals with two places (`12.50`), exactly, as cents. */
export function addDecimals(a: string, b: string): string {
  const cents = (text: string) => {
    const negative = text.startsWith('-');
    const [whole = '0', fraction = ''] = text.replace('-', '').split('.');
    const value = BigInt(whole || '0') * 100n + BigInt(fraction.padEnd(2, '0').slice(0, 2));
    return negative ? -value : value;
  };
  const sum = cents(a) + cents(b);
  const digits = (sum < 0n ? -sum : sum).toString().padStart(3, '0');
  return `${sum < 0n ? '-' : ''}${digits.slice(0, -2)}.${digits.slice(-2)}`;
}

/** A table row fits about this many times on a page; more buffered rows could never fit `maxPages`. */
const ROWS_PER_PAGE = 60;

/**
 * Products grouped by category (by category code), each group with the subtotal of its stock
 * value (price × quantity, exact decimals) and a grand total at the end.
 */
export const priceListReport = registerReport(
  defineReport({
    name: 'price-list',
    title: 'Price list',
    description: 'Products grouped by category, with prices, stock and the stock value subtotal of each category.',
    model: products,
    defaultOrdering: ['sku'],
    async render(ctx) {
      const groups = new Map<string, PriceRow[]>();
      let buffered = 0;
      let page: StoredRecord[] = [];
      const flush = async () => {
        const { rows } = await ctx.exportRows(page, ['sku', 'name', 'price', 'quantity', 'stock_value']);
        page.forEach((record, i) => {
          const [sku, name, price, quantity, stockValue] = rows[i]!.map((cell) => (cell === null ? '' : String(cell)));
          const category = String(record.values.category ?? '');
          const group = groups.get(category) ?? [];
          group.push({ sku: sku!, name: name!, price: price!, quantity: quantity!, stockValue: stockValue || '0.00' });
          groups.set(category, group);
        });
        page = [];
      };
      for await (const record of ctx.records()) {
        page.push(record);
        if (++buffered > ctx.maxPages * ROWS_PER_PAGE) throw new ReportTooLargeError(ctx.maxPages);
        if (page.length >= 500) await flush();
      }
      await flush();
      const found = await ctx.getByIds(categories, [...groups.keys()]);
      const label = (id: string) => {
        const category = found.get(id);
        return category ? `${category.values.code} — ${category.values.name}` : id;
      };
      const ordered = [...groups.keys()].sort((a, b) => (label(a) < label(b) ? -1 : 1));

      const layout = await ctx.startDocument({ title: `Price list — ${ctx.org}` });
      layout.paragraph(`Price list — ${ctx.org}`, { size: 16, bold: true });
      layout.paragraph(`Filter: ${ctx.filterText}`, { grey: 0.3 });
      layout.paragraph(`Generated ${ctx.generatedAt.toISOString().replace('T', ' ').slice(0, 19)} UTC by ${ctx.user}`, { grey: 0.3 });
      layout.skip(10);
      const w = layout.contentWidth;
      const columns = [
        { header: 'SKU', width: w * 0.18 },
        { header: 'Name', width: w * 0.4 },
        { header: 'Price', width: w * 0.13, align: 'right' as const },
        { header: 'Stock', width: w * 0.11, align: 'right' as const },
        { header: 'Stock value', width: w * 0.18, align: 'right' as const },
      ];
      let total = '0.00';
      for (const id of ordered) {
        const rows = groups.get(id)!;
        layout.ensureSpace(60);
        layout.paragraph(label(id), { size: 11, bold: true });
        layout.skip(2);
        const table = new PdfTable(layout, columns);
        table.begin();
        let subtotal = '0.00';
        for (const row of rows) {
          table.row([row.sku, row.name, row.price, row.quantity, row.stockValue]);
          subtotal = addDecimals(subtotal, row.stockValue);
        }
        table.row(['', `Subtotal ${label(id)} (${rows.length} products)`, '', '', subtotal], { bold: true, shade: 0.95 });
        table.end();
        total = addDecimals(total, subtotal);
        layout.skip(6);
      }
      layout.ensureSpace(30);
      layout.paragraph(`Total stock value: ${total} (${buffered} products in ${ordered.length} categories)`, { size: 11, bold: true });
    },
  }),
);
