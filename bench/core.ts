/**
 * The core import pipeline alone, in process, with no AWS and no local stack: read (CSV or XLSX)
 * → map the header with the products resource → `validateRows` in batches of 500 against an
 * in-memory record store seeded with the acme demo categories, tags and suppliers. Also parse-only
 * rates, and the export side's rendering (resource `exportRows` + table writer) for comparison.
 *
 * Run it pinned to one core (`taskset -c 0`, as `bench/run.ts` does) to measure "one core".
 * CLI: `tsx bench/core.ts --measure validate-csv --file <file>` prints one JSON line.
 */
import fs from 'node:fs';
import os from 'node:os';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createTableWriter } from '../layers/core/formats/table-writer';
import { readRows } from '../layers/core/formats/read-rows';
import type { TabularFormat } from '../layers/core/formats/types';
import { DEFAULT_JOB_SETTINGS } from '../layers/core/jobs/deps';
import { newUlid } from '../layers/core/jobs/ids';
import type { StoredRecord } from '../layers/core/model/types';
import { getResourceForModel } from '../layers/core/resources/registry';
import { validateRows, type ImportRow } from '../layers/core/resources/validate-rows';
import { erpRegistry, generateDemoData, products } from '../layers/erp';
import { InMemoryRecordStore } from '../test/support/in-memory-record-store';

export interface CoreMeasure {
  readonly name: string;
  readonly rows: number;
  readonly seconds: number;
  readonly rows_per_s: number;
  /** CPU time of this process (user + system, every thread) over the same span: steadier than wall time on a busy machine. */
  readonly cpu_seconds: number;
  /** Rows per CPU second: what one dedicated core would do. */
  readonly rows_per_cpu_s: number;
  /** Peak RSS of this process so far (VmHWM), MB. */
  readonly peak_rss_mb: number;
  readonly notes?: string;
}

const ORG = 'acme';

function peakRssMb(): number {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  return match ? Math.round(Number(match[1]) / 1024) : Math.round(process.memoryUsage().rss / 1048576);
}

/** A start point for `measure`: wall clock and CPU time. */
interface Started {
  readonly ns: bigint;
  readonly cpu: NodeJS.CpuUsage;
}

function start(): Started {
  return { ns: process.hrtime.bigint(), cpu: process.cpuUsage() };
}

function measure(name: string, rows: number, started: Started, notes?: string): CoreMeasure {
  const seconds = Number(process.hrtime.bigint() - started.ns) / 1e9;
  const cpu = process.cpuUsage(started.cpu);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return {
    name,
    rows,
    seconds: round(seconds, 3),
    rows_per_s: Math.round(rows / seconds),
    cpu_seconds: round(cpuSeconds, 3),
    rows_per_cpu_s: Math.round(rows / cpuSeconds),
    peak_rss_mb: peakRssMb(),
    ...(notes ? { notes } : {}),
  };
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** A store holding what a seeded local stack holds for acme, minus the demo products. */
export function seededStore(): InMemoryRecordStore {
  const store = new InMemoryRecordStore();
  for (const { model, records } of generateDemoData(ORG, { products: 0 })) store.seed(ORG, model, records);
  return store;
}

/** Reads every row, doing nothing with them. */
export async function parseOnly(format: TabularFormat, file: string): Promise<CoreMeasure> {
  const started = start();
  let rows = 0;
  for await (const row of readRows(format, fs.createReadStream(file))) {
    if (row.row > 1) rows += 1;
  }
  return measure(`parse ${format}`, rows, started);
}

/**
 * Parse → map → validate in batches, as one ValidateChunk task does (minus reading from S3 and
 * writing the chunk result). Returns the valid records when `keep` is set (for rendering).
 */
export async function parseValidate(format: TabularFormat, file: string, options: { keep?: boolean } = {}): Promise<{ measure: CoreMeasure; kept: StoredRecord[]; store: InMemoryRecordStore }> {
  const store = seededStore();
  const resource = getResourceForModel(products);
  const started = start();
  const now = new Date().toISOString();
  const batchRows = DEFAULT_JOB_SETTINGS.validateBatchRows;
  let ctx: Parameters<typeof validateRows>[0] | undefined;
  let batch: ImportRow[] = [];
  let rows = 0;
  let valid = 0;
  let errorRows = 0;
  const firstErrors: unknown[] = [];
  const kept: StoredRecord[] = [];
  const flush = async (): Promise<void> => {
    const result = await validateRows(ctx!, batch);
    rows += batch.length;
    valid += result.valid.length;
    errorRows += result.rowsWithErrors;
    if (firstErrors.length < 5) firstErrors.push(...result.errors.slice(0, 5 - firstErrors.length));
    if (options.keep) for (const v of result.valid) kept.push(v.record);
    batch = [];
  };
  for await (const row of readRows(format, fs.createReadStream(file))) {
    if (!ctx) {
      ctx = {
        org: ORG,
        model: products,
        resource,
        mapping: resource.mapHeader(row.cells),
        store,
        registry: erpRegistry,
        user: 'bench',
        jobId: 'bench',
        now,
        newId: () => newUlid(),
        skipUnchanged: resource.skipUnchanged,
        sourceFormat: format,
      };
      continue;
    }
    batch.push(row);
    if (batch.length >= batchRows) await flush();
  }
  if (batch.length > 0) await flush();
  const m = measure(`parse+map+validate ${format}`, rows, started, `${valid} valid, ${errorRows} rows with errors${firstErrors.length ? `; first: ${JSON.stringify(firstErrors)}` : ''}`);
  return { measure: m, kept, store };
}

/** Export rendering of stored records: resource `exportRows` (page of 100, lookups per page) → table writer → /dev/null. */
export async function render(format: TabularFormat, records: readonly StoredRecord[], store: InMemoryRecordStore): Promise<CoreMeasure> {
  const resource = getResourceForModel(products);
  const columns = resource.exportColumns({});
  const started = start();
  const writer = createTableWriter(format, columns, { sheetName: 'products' });
  const sink = new Writable({ write: (_chunk, _enc, done) => done() });
  const drained = pipeline(writer.output, sink);
  for (let i = 0; i < records.length; i += 100) {
    const page = records.slice(i, i + 100);
    const cells = await resource.exportRows(page, columns, { org: ORG, store, registry: erpRegistry });
    for (const row of cells) await writer.writeRow(row);
  }
  await writer.end();
  await drained;
  return measure(`render ${format} (exportRows + writer)`, records.length, started);
}

/** The measurements `bench/run.ts` runs, each in a fresh process so peak RSS is its own. */
export const CORE_MEASURES = ['parse-csv', 'validate-csv', 'render-csv', 'render-xlsx', 'parse-xlsx', 'validate-xlsx'] as const;
export type CoreMeasureName = (typeof CORE_MEASURES)[number];

/** One measurement; `file` is the CSV (parse/validate/render) or XLSX (parse/validate) input. */
export async function runCoreMeasure(name: CoreMeasureName, file: string): Promise<CoreMeasure> {
  // Warm-up: JIT the hot paths on a few thousand rows, as a warm Lambda would be.
  const format: TabularFormat = name.endsWith('xlsx') && !name.startsWith('render') ? 'xlsx' : 'csv';
  let n = 0;
  for await (const row of readRows(format, fs.createReadStream(file))) if (++n > 2000 || row.row < 0) break;
  switch (name) {
    case 'parse-csv':
    case 'parse-xlsx':
      return parseOnly(format, file);
    case 'validate-csv':
    case 'validate-xlsx':
      return (await parseValidate(format, file)).measure;
    case 'render-csv':
    case 'render-xlsx': {
      // The records to render come from validating the CSV (not timed); they stay in memory.
      const validated = await parseValidate('csv', file, { keep: true });
      await validated.store.write(ORG, products, validated.kept.map((record) => ({ record })));
      const m = await render(name === 'render-csv' ? 'csv' : 'xlsx', validated.kept, validated.store);
      return { ...m, notes: 'peak RSS includes every rendered record held in memory (an in-memory store)' };
    }
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const arg = (name: string): string | undefined => {
    const i = args.indexOf(`--${name}`);
    return i === -1 ? undefined : args[i + 1];
  };
  const name = arg('measure') as CoreMeasureName | undefined;
  const file = arg('file');
  if (!name || !CORE_MEASURES.includes(name) || !file) throw new Error(`usage: tsx bench/core.ts --measure ${CORE_MEASURES.join('|')} --file <csv or xlsx>`);
  const r = await runCoreMeasure(name, file);
  console.error(`  ${r.name.padEnd(40)} ${String(r.rows).padStart(9)} rows ${r.seconds.toFixed(2).padStart(8)} s ${String(r.rows_per_s).padStart(9)} rows/s ${String(r.rows_per_cpu_s).padStart(9)} rows/cpu-s  peak RSS ${r.peak_rss_mb} MB${r.notes ? `  (${r.notes.slice(0, 200)})` : ''}`);
  console.log(JSON.stringify({ cpu: os.cpus()[0]?.model, result: r }));
}

if (require.main === module && /core(\.bundle)?\.[jt]s$/.test(process.argv[1] ?? "")) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
