import { PdfTable } from '../../core/formats/pdf/pdf-table';
import type { StoredRecord } from '../../core/model/types';
import type { ReportContext } from '../../core/reports/define-report';
import { defineReport } from '../../core/reports/define-report';
import { registerReport } from '../../core/reports/registry';
import { STORE_FILTER_LIMITS } from '../../core/ports/record-store';
import { contacts, customers } from '../models';

/** Customers whose contacts are looked up together: one `in` condition, so at most `maxInValues`. */
export const CUSTOMERS_PER_LOOKUP = STORE_FILTER_LIMITS.maxInValues;

/** What the sheet prints of a contact: never `api_key` (nor `notes`). */
interface ContactLine {
  readonly firstName: string;
  readonly lastName: string;
  readonly email: string;
  readonly phone: string;
  readonly primary: boolean;
  readonly birthday: string;
}

function text(value: unknown): string {
  return value === null || value === undefined ? '' : String(value);
}

function contactLine(record: StoredRecord): ContactLine {
  const v = record.values;
  return {
    firstName: text(v.first_name),
    lastName: text(v.last_name),
    email: text(v.email),
    phone: text(v.phone),
    primary: v.is_primary === true,
    birthday: text(v.birthday),
  };
}

/** Primary contact first, then by last and first name (code point order, as the exports sort). */
function compareContacts(a: ContactLine, b: ContactLine): number {
  if (a.primary !== b.primary) return a.primary ? -1 : 1;
  const ka = `${a.lastName}\u0000${a.firstName}`;
  const kb = `${b.lastName}\u0000${b.firstName}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/**
 * The contacts of a page of customers, by customer id: one filtered scan of `contacts` for the
 * whole page (`customer in [...]`), never one query per customer.
 */
export async function contactsOf(ctx: ReportContext, customerIds: readonly string[]): Promise<Map<string, ContactLine[]>> {
  const byCustomer = new Map<string, ContactLine[]>();
  if (customerIds.length === 0) return byCustomer;
  for await (const batch of ctx.scan(contacts, { field: 'customer', op: 'in', value: customerIds })) {
    for (const record of batch) {
      const customer = text(record.values.customer);
      const list = byCustomer.get(customer) ?? [];
      list.push(contactLine(record));
      byCustomer.set(customer, list);
    }
  }
  for (const list of byCustomer.values()) list.sort(compareContacts);
  return byCustomer;
}

/**
 * Each customer (in the export's filter and ordering, by name by default) with its contacts
 * underneath: name, email, phone, primary marker and birthday. Contacts are fetched with one
 * batched scan per page of customers. Sensitive fields (`tax_id`, `api_key`) are never printed.
 */
export const contactSheetReport = registerReport(
  defineReport({
    name: 'contact-sheet',
    title: 'Contact sheet',
    description: 'Customers with their contacts underneath (name, email, phone, primary contact, birthday).',
    model: customers,
    defaultOrdering: ['name'],
    async render(ctx) {
      const layout = await ctx.startDocument({ title: `Contact sheet — ${ctx.org}` });
      layout.paragraph(`Contact sheet — ${ctx.org}`, { size: 16, bold: true });
      layout.paragraph(`Filter: ${ctx.filterText}`, { grey: 0.3 });
      layout.paragraph(`Generated ${ctx.generatedAt.toISOString().replace('T', ' ').slice(0, 19)} UTC by ${ctx.user}`, { grey: 0.3 });
      layout.skip(10);
      const w = layout.contentWidth;
      const columns = [
        { header: 'Name', width: w * 0.27 },
        { header: 'Email', width: w * 0.33 },
        { header: 'Phone', width: w * 0.17 },
        { header: 'Primary', width: w * 0.09 },
        { header: 'Birthday', width: w * 0.14 },
      ];
      let customerCount = 0;
      let contactCount = 0;

      const drawPage = async (page: readonly StoredRecord[]) => {
        const found = await contactsOf(
          ctx,
          page.map((c) => c.id),
        );
        for (const customer of page) {
          customerCount += 1;
          const v = customer.values;
          const details = [text(v.email), text(v.country), v.active === false ? 'inactive' : ''].filter(Boolean).join(' · ');
          layout.ensureSpace(60);
          layout.paragraph(text(v.name), { size: 11, bold: true });
          if (details) layout.paragraph(details, { size: 8, grey: 0.35 });
          layout.skip(2);
          const lines = found.get(customer.id) ?? [];
          if (lines.length === 0) {
            layout.paragraph('No contacts', { size: 8, grey: 0.45 });
            layout.skip(8);
            continue;
          }
          const table = new PdfTable(layout, columns);
          table.begin();
          for (const line of lines) {
            table.row([`${line.firstName} ${line.lastName}`.trim(), line.email, line.phone, line.primary ? 'primary' : '', line.birthday]);
          }
          table.end();
          contactCount += lines.length;
          layout.skip(4);
        }
      };

      let page: StoredRecord[] = [];
      for await (const record of ctx.records()) {
        page.push(record);
        if (page.length >= CUSTOMERS_PER_LOOKUP) {
          await drawPage(page);
          page = [];
        }
      }
      await drawPage(page);
      layout.ensureSpace(30);
      layout.paragraph(`${customerCount} ${customerCount === 1 ? 'customer' : 'customers'}, ${contactCount} ${contactCount === 1 ? 'contact' : 'contacts'}`, { size: 10, bold: true });
    },
  }),
);
