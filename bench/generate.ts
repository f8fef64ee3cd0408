/**
 * Deterministic product files for the benchmark, in the column layout of the products resource
 * (`layers/erp/resources/products.ts`): sku, name, description, category (by code), supplier (by
 * name), tags (by name, `|`-separated), price, quantity, status, active, released_on, weight_kg.
 *
 * - Same options → same bytes: a seeded PRNG (mulberry32), no clock, no randomness from the host.
 * - SKUs are unique within a file (`<prefix>0000001`, ...); different prefixes keep files apart.
 * - Categories, tags and suppliers are the acme demo data's, so every row is valid against a seeded
 *   local stack (discontinued products have no stock: the resource rejects discontinuing stock).
 * - CSV is streamed to disk; XLSX goes through exceljs's streaming WorkbookWriter, so memory stays
 *   flat at 1,000,000 rows.
 *
 * CLI: `tsx bench/generate.ts --rows 100000 --format csv|xlsx [--prefix BENCH-C-] [--out file]`
 */
import ExcelJS from 'exceljs';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { createRng, generateDemoData } from '../layers/erp/demo-data';

/** Bumped whenever the generated content changes, so cached files are regenerated. */
export const GENERATOR_VERSION = 1;

export const BENCH_DATA_DIR = path.join(__dirname, '.data');

export const PRODUCT_COLUMNS = ['sku', 'name', 'description', 'category', 'supplier', 'tags', 'price', 'quantity', 'status', 'active', 'released_on', 'weight_kg'] as const;

export type BenchFormat = 'csv' | 'xlsx';

export interface GenerateOptions {
  readonly rows: number;
  readonly format: BenchFormat;
  /** SKU prefix; `BENCH-` + a per-file letter keeps the CSV and XLSX rows apart. */
  readonly prefix: string;
  readonly seed?: number;
  readonly file: string;
  /** Index of the first row (rows before it are generated and dropped, so parts match the whole). @default 0 */
  readonly first?: number;
}

export interface GeneratedFile {
  readonly file: string;
  readonly format: BenchFormat;
  readonly rows: number;
  readonly bytes: number;
  readonly prefix: string;
  /** True when an identical cached file was reused. */
  readonly cached: boolean;
  readonly seconds: number;
}

/** The acme demo vocabulary the rows refer to: leaf category codes, tag names, supplier names. */
export function acmeVocabulary(): { categoryCodes: string[]; tagNames: string[]; supplierNames: string[] } {
  const data = generateDemoData('acme', { products: 0 });
  const records = (plural: string) => data.find((d) => d.model.plural === plural)?.records ?? [];
  // Leaf categories only: products sit in sub-categories in the demo data.
  const categoryCodes = records('categories').filter((c) => c.values.parent !== null).map((c) => String(c.values.code));
  const tagNames = records('tags').map((t) => String(t.values.name));
  const supplierNames = records('suppliers').map((s) => String(s.values.name));
  return { categoryCodes, tagNames, supplierNames };
}


const ADJECTIVES = ['Compact', 'Heavy', 'Precision', 'Classic', 'Ultra', 'Eco', 'Pro', 'Mini', 'Rugged', 'Smart'];
const NOUNS = ['Hammer', 'Screwdriver', 'Drill', 'Wrench', 'Saw', 'Anchor', 'Bolt', 'Glove', 'Goggles', 'Hose', 'Sprinkler', 'Pliers'];

/** One product row as typed values (numbers stay numbers for XLSX). */
export interface ProductRow {
  sku: string;
  name: string;
  description: string;
  category: string;
  supplier: string;
  tags: string;
  /** Decimal text with 2 places, e.g. `1234.50`. */
  price: string;
  quantity: number;
  status: string;
  active: boolean;
  /** `YYYY-MM-DD` or '' */
  released_on: string;
  /** Decimal text with 3 places or '' */
  weight_kg: string;
}

/** An endless deterministic sequence of product rows. */
export function productRows(prefix: string, seed = 20260101): (index: number) => ProductRow {
  const vocab = acmeVocabulary();
  const rng = createRng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rng() * items.length)] as T;
  const between = (min: number, max: number): number => min + Math.floor(rng() * (max - min + 1));
  const pad = (value: number, width: number): string => String(value).padStart(width, '0');
  return (i) => {
    const noun = pick(NOUNS);
    const priceCents = between(99, 250_000);
    const status = pick(['draft', 'active', 'active', 'active', 'discontinued']);
    const tags = vocab.tagNames.filter(() => rng() < 0.15);
    const descriptionKind = rng();
    const description =
      descriptionKind < 0.55
        ? `A ${noun.toLowerCase()} made to last. Größe ${between(1, 9)}, Ø ${between(5, 50)} mm.`
        : descriptionKind < 0.7
          ? `The "${noun}" our customers ask for;\nships in ${between(1, 9)} days.`
          : '';
    const weight = rng() < 0.9 ? between(10, 250_000) : null;
    return {
      sku: `${prefix}${pad(i + 1, 7)}`,
      name: `${pick(ADJECTIVES)} ${noun} ${between(100, 999)}`,
      description,
      category: pick(vocab.categoryCodes),
      supplier: rng() < 0.85 ? pick(vocab.supplierNames) : '',
      tags: tags.join('|'),
      price: `${Math.floor(priceCents / 100)}.${pad(priceCents % 100, 2)}`,
      // A product with stock cannot be created discontinued.
      quantity: status === 'discontinued' ? 0 : between(0, 5000),
      status,
      active: rng() < 0.92,
      released_on: rng() < 0.8 ? `${between(2015, 2024)}-${pad(between(1, 12), 2)}-${pad(between(1, 28), 2)}` : '',
      weight_kg: weight === null ? '' : `${Math.floor(weight / 1000)}.${pad(weight % 1000, 3)}`,
    };
  };
}

function csvCell(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

async function writeCsv(options: GenerateOptions): Promise<void> {
  const next = productRows(options.prefix, options.seed);
  const first = options.first ?? 0;
  for (let i = 0; i < first; i += 1) next(i);
  const out = fs.createWriteStream(options.file);
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write(`${PRODUCT_COLUMNS.join(',')}\n`);
  let buffer = '';
  for (let i = first; i < first + options.rows; i += 1) {
    const r = next(i);
    buffer += `${[r.sku, r.name, r.description, r.category, r.supplier, r.tags, r.price, String(r.quantity), r.status, r.active ? 'true' : 'false', r.released_on, r.weight_kg].map(csvCell).join(',')}\n`;
    if (buffer.length > 64 * 1024) {
      await write(buffer);
      buffer = '';
    }
  }
  await write(buffer);
  out.end();
  await once(out, 'finish');
}

async function writeXlsx(options: GenerateOptions): Promise<void> {
  const next = productRows(options.prefix, options.seed);
  const first = options.first ?? 0;
  for (let i = 0; i < first; i += 1) next(i);
  // Shared strings off (as the export writer does): a streaming writer would otherwise keep every
  // distinct string in memory until the end.
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: options.file, useStyles: true, useSharedStrings: false });
  const sheet = workbook.addWorksheet('products');
  sheet.columns = PRODUCT_COLUMNS.map((name) => ({ header: name, key: name }));
  sheet.getColumn('price').numFmt = '0.00';
  sheet.getColumn('weight_kg').numFmt = '0.000';
  sheet.getColumn('released_on').numFmt = 'yyyy-mm-dd';
  for (let i = first; i < first + options.rows; i += 1) {
    const r = next(i);
    sheet
      .addRow({
        ...r,
        // Native cell types, as a spreadsheet would hold them.
        price: Number(r.price),
        weight_kg: r.weight_kg === '' ? null : Number(r.weight_kg),
        released_on: r.released_on === '' ? null : new Date(`${r.released_on}T00:00:00Z`),
        description: r.description === '' ? null : r.description,
        supplier: r.supplier === '' ? null : r.supplier,
        tags: r.tags === '' ? null : r.tags,
      })
      .commit();
  }
  sheet.commit();
  await workbook.commit();
}

/** Writes a products file, or reuses the identical one already in place. */
export async function generateProducts(options: GenerateOptions): Promise<GeneratedFile> {
  const started = Date.now();
  const metaFile = `${options.file}.meta.json`;
  const meta = { version: GENERATOR_VERSION, first: options.first ?? 0, rows: options.rows, format: options.format, prefix: options.prefix, seed: options.seed ?? null };
  if (fs.existsSync(options.file) && fs.existsSync(metaFile)) {
    const previous = JSON.parse(fs.readFileSync(metaFile, 'utf8')) as typeof meta & { bytes: number };
    const bytes = fs.statSync(options.file).size;
    if (JSON.stringify({ ...previous, bytes: undefined }) === JSON.stringify({ ...meta, bytes: undefined }) && previous.bytes === bytes) {
      return { file: options.file, format: options.format, rows: options.rows, bytes, prefix: options.prefix, cached: true, seconds: 0 };
    }
  }
  fs.mkdirSync(path.dirname(options.file), { recursive: true });
  if (options.format === 'csv') await writeCsv(options);
  else await writeXlsx(options);
  const bytes = fs.statSync(options.file).size;
  fs.writeFileSync(metaFile, JSON.stringify({ ...meta, bytes }));
  return { file: options.file, format: options.format, rows: options.rows, bytes, prefix: options.prefix, cached: false, seconds: (Date.now() - started) / 1000 };
}

/** The file name the benchmark uses for a size and format. */
export function benchFile(format: BenchFormat, rows: number, prefix: string): string {
  return path.join(BENCH_DATA_DIR, `products-${prefix.replace(/[^A-Za-z0-9]+/g, '').toLowerCase()}-${rows}.${format}`);
}

/**
 * Writes the rows `[first, first + rows)` of the full file as files of at most `rowsPerPart` rows
 * each (header included): the same rows, split for the direct-upload route's 6 MB limit.
 */
export async function generateParts(options: Omit<GenerateOptions, 'file' | 'first'> & { baseFile: string; rowsPerPart: number }): Promise<GeneratedFile[]> {
  const parts: GeneratedFile[] = [];
  for (let first = 0, n = 1; first < options.rows; first += options.rowsPerPart, n += 1) {
    const rows = Math.min(options.rowsPerPart, options.rows - first);
    const file = options.baseFile.replace(/\.(csv|xlsx)$/, `.part${n}-of-${Math.ceil(options.rows / options.rowsPerPart)}.$1`);
    parts.push(await generateProducts({ ...options, file, first, rows }));
  }
  return parts;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const arg = (name: string): string | undefined => {
    const i = args.indexOf(`--${name}`);
    return i === -1 ? undefined : args[i + 1];
  };
  const rows = Number(arg('rows') ?? 100_000);
  const format = (arg('format') ?? 'csv') as BenchFormat;
  const prefix = arg('prefix') ?? (format === 'csv' ? 'BENCH-C-' : 'BENCH-X-');
  const file = arg('out') ?? benchFile(format, rows, prefix);
  const result = await generateProducts({ rows, format, prefix, file });
  console.log(JSON.stringify(result));
}

if (require.main === module && /generate\.[jt]s$/.test(process.argv[1] ?? "")) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
