/**
 * `npx tsx bench/pdf.ts [--rows 50000] [--max-pages N] [--only render,export] [--runs 1]`
 *
 * Time and memory of a large generic PDF report (issue 6: "a 50,000-row generic report completes
 * within the Lambda limits").
 *
 * 1. Prepares the rows once: `generateDemoData('acme', { products: rows })` rendered by the products
 *    resource (every column, natural keys), written as JSON lines under bench/.data/ with the
 *    columns and the widest cell of each column, as the export segments hand them to Assemble.
 * 2. `render`: in a fresh Node process from an esbuild bundle (like the Lambda's), streams those
 *    rows from disk through `renderGenericReport` with the export's title and subtitle, the way the
 *    export Assemble task does: time, peak RSS (the kernel's high-water mark), peak heap, pages,
 *    file size. This is the number to hold against the Assemble function's memory.
 * 3. `export`: in another fresh process, the whole export on the in-memory job harness
 *    (`createExportJob(..., { format: 'pdf' })`: plan, segments, assemble) with the default
 *    settings: did the job complete, and in how long. Its RSS includes the seeded in-memory store.
 *
 * `--max-pages` overrides `PDF_MAX_PAGES` (default: `DEFAULT_JOB_SETTINGS.pdfMaxPages`). The PDF of
 * the last render run is kept at bench/.data/pdf-products-<rows>.pdf; page 1 is rendered to PNG next
 * to it when `pdftoppm` is installed. Prints a table and writes bench/results-pdf-<rows>.json.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { measureWidth } from '../layers/core/formats/neutralize';
import { renderGenericReport } from '../layers/core/formats/pdf/generic-report';
import type { Cell, ExportColumn } from '../layers/core/formats/types';
import { createExportJob } from '../layers/core/jobs/create-export-job';
import { DEFAULT_JOB_SETTINGS } from '../layers/core/jobs/deps';
import { getJob } from '../layers/core/jobs/read-jobs';
import { getResourceForModel } from '../layers/core/resources/registry';
import { erpRegistry, generateDemoData, products } from '../layers/erp';
import { packagedFonts } from '../lambdas/shared/fonts';
import { createJobHarness } from '../test/support/job-harness';

// The child runs from a bundle under bench/.data/, so the parent tells it where the repository is.
const ROOT = process.env.DATAIO_BENCH_ROOT ?? path.join(__dirname, '..');
const DATA_DIR = path.join(ROOT, 'bench', '.data');
const ORG = 'acme';
const MEASURES = ['render', 'export'] as const;
type MeasureName = (typeof MEASURES)[number];

interface Args {
  rows: number;
  maxPages: number;
  only: Set<MeasureName>;
  runs: number;
}

/** One measurement, as the child process prints it on its last stdout line. */
interface Measure {
  measure: MeasureName;
  status: string;
  error?: string;
  seconds: number;
  /** CPU seconds (user + system) of the measured work: less sensitive to a busy machine than `seconds`. */
  cpu_s: number;
  peak_rss_mb: number;
  peak_heap_mb: number;
  /** RSS and heap when the measured work started (the `export` process has the seeded store). */
  start_rss_mb: number;
  start_heap_mb: number;
  pages?: number;
  bytes?: number;
}

function parseArgs(argv: string[]): Args {
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    if (i !== -1) return argv[i + 1];
    return argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  };
  const positive = (name: string, fallback: number): number => {
    const raw = value(name);
    const parsed = raw === undefined ? fallback : Number(raw.replace(/_/g, ''));
    if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`--${name} must be a positive integer, got ${raw}`);
    return parsed;
  };
  const only = (value('only') ?? MEASURES.join(',')).split(',').map((s) => s.trim());
  for (const name of only) if (!(MEASURES as readonly string[]).includes(name)) throw new Error(`--only takes ${MEASURES.join(', ')}; got ${name}`);
  return { rows: positive('rows', 50_000), maxPages: positive('max-pages', DEFAULT_JOB_SETTINGS.pdfMaxPages), only: new Set(only as MeasureName[]), runs: positive('runs', 1) };
}

const rowsFile = (rows: number) => path.join(DATA_DIR, `pdf-products-${rows}.jsonl`);
const pdfFile = (rows: number) => path.join(DATA_DIR, `pdf-products-${rows}.pdf`);

// ---------------------------------------------------------------- 1. the rows

/** The demo products with every other model they reference, in the in-memory job harness. */
async function seededHarness(rows: number, settings: { pdfMaxPages?: number } = {}) {
  const harness = createJobHarness(settings);
  for (const { model, records } of generateDemoData(ORG, { products: rows })) {
    await harness.records.write(ORG, model, records.map((record) => ({ record })));
  }
  return harness;
}

async function prepareRows(rows: number): Promise<string> {
  const file = rowsFile(rows);
  if (fs.existsSync(file)) return file;
  const { records } = await seededHarness(rows);
  const resource = getResourceForModel(products);
  const columns = resource.exportColumns();
  const widths = columns.map((c) => c.name.length);
  const lines: string[] = [];
  let page: Parameters<typeof resource.exportRows>[0][number][] = [];
  const flush = async () => {
    for (const cells of await resource.exportRows(page, columns, { org: ORG, store: records, registry: erpRegistry })) {
      cells.forEach((cell, i) => (widths[i] = Math.max(widths[i]!, measureWidth(cell))));
      lines.push(JSON.stringify(cells));
    }
    page = [];
  };
  for await (const batch of records.scan(ORG, products, { segment: 0, totalSegments: 1 })) {
    page.push(...batch);
    if (page.length >= 1000) await flush();
  }
  await flush();
  fs.mkdirSync(DATA_DIR, { recursive: true });
  fs.writeFileSync(`${file}.tmp`, `${JSON.stringify({ columns, widths })}\n${lines.join('\n')}\n`);
  fs.renameSync(`${file}.tmp`, file);
  return file;
}

// ---------------------------------------------------------------- 2./3. the measures (child process)

/** Samples heap and RSS every 20 ms; the kernel's `maxRSS` catches peaks between samples. */
function sampler() {
  let heap = 0;
  let rss = 0;
  const sample = () => {
    const m = process.memoryUsage();
    heap = Math.max(heap, m.heapUsed);
    rss = Math.max(rss, m.rss);
  };
  const timer = setInterval(sample, 20);
  const start = process.memoryUsage();
  const cpu = process.cpuUsage();
  return {
    start: { rss_mb: mb(start.rss), heap_mb: mb(start.heapUsed) },
    stop: () => {
      sample();
      clearInterval(timer);
      const used = process.cpuUsage(cpu);
      return {
        cpu_s: round((used.user + used.system) / 1e6, 1),
        peak_rss_mb: Math.max(mb(rss), Math.round(process.resourceUsage().maxRSS / 1024)),
        peak_heap_mb: mb(heap),
      };
    },
  };
}

async function measureRender(rows: number, maxPages: number): Promise<Measure> {
  const input = fs.createReadStream(rowsFile(rows));
  const lines = createInterface({ input, crlfDelay: Infinity })[Symbol.asyncIterator]();
  const header = JSON.parse((await lines.next()).value as string) as { columns: ExportColumn[]; widths: number[] };
  async function* cells(): AsyncGenerator<Cell[]> {
    for (;;) {
      const next = await lines.next();
      if (next.done) return;
      if (next.value) yield JSON.parse(next.value) as Cell[];
    }
  }
  const fonts = await packagedFonts();
  global.gc?.();
  const memory = sampler();
  const started = performance.now();
  const generatedAt = new Date();
  try {
    const bytes = await renderGenericReport({
      fonts,
      maxPages,
      createdAt: generatedAt,
      title: `products — ${ORG}`,
      subtitle: ['Filter: all records', `Generated ${generatedAt.toISOString().replace('T', ' ').slice(0, 19)} UTC by bench`],
      columns: header.columns,
      widths: header.widths,
      rows: cells(),
    });
    const seconds = (performance.now() - started) / 1000;
    const peaks = memory.stop();
    fs.writeFileSync(pdfFile(rows), bytes);
    return { measure: 'render', status: 'COMPLETED', seconds: round(seconds, 1), ...peaks, start_rss_mb: memory.start.rss_mb, start_heap_mb: memory.start.heap_mb, bytes: bytes.length };
  } catch (error) {
    const seconds = (performance.now() - started) / 1000;
    const failure = error as Error & { code?: string };
    return { measure: 'render', status: 'FAILED', error: `${failure.code ?? failure.name}: ${failure.message}`, seconds: round(seconds, 1), ...memory.stop(), start_rss_mb: memory.start.rss_mb, start_heap_mb: memory.start.heap_mb };
  }
}

async function measureExport(rows: number, maxPages: number): Promise<Measure> {
  const harness = await seededHarness(rows, { pdfMaxPages: maxPages });
  const admin = { org: ORG, user: 'bench', perms: ['*'] };
  global.gc?.();
  const memory = sampler();
  const started = performance.now();
  const created = await createExportJob(harness.deps, { ...admin, model: 'products', format: 'pdf' });
  await harness.workflow.settle();
  const seconds = (performance.now() - started) / 1000;
  const peaks = memory.stop();
  const job = await getJob(harness.deps, admin, created.job_id);
  const error = job.result_log?.error;
  return {
    measure: 'export',
    status: job.status,
    ...(error ? { error: `${error.code}: ${error.message}` } : {}),
    seconds: round(seconds, 1),
    ...peaks,
    start_rss_mb: memory.start.rss_mb,
    start_heap_mb: memory.start.heap_mb,
    ...(job.output_file ? { bytes: job.output_file.size } : {}),
  };
}

// ---------------------------------------------------------------- parent

function bundle(): string {
  const out = path.join(DATA_DIR, 'pdf.bundle.js');
  // Bundled like the Lambda functions (lib/constructs/dataio-function.ts) rather than run by tsx.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof import('esbuild');
  esbuild.buildSync({ entryPoints: [__filename], bundle: true, platform: 'node', target: 'node20', minify: true, outfile: out, logLevel: 'error', external: ['esbuild'] });
  return out;
}

function runChild(script: string, measure: MeasureName, args: Args): Measure {
  const result = spawnSync(process.execPath, ['--expose-gc', script, '--child', measure, '--rows', String(args.rows), '--max-pages', String(args.maxPages)], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
    env: { ...process.env, NODE_NO_WARNINGS: '1', DATAIO_BENCH_ROOT: ROOT },
  });
  if (result.status !== 0) throw new Error(`${measure} failed (${result.status}): ${result.stderr}`);
  process.stderr.write(result.stderr);
  return JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as Measure;
}

function pdfPages(file: string): number | undefined {
  const info = spawnSync('pdfinfo', [file], { encoding: 'utf8' });
  const match = /Pages:\s+(\d+)/.exec(info.stdout ?? '');
  return match ? Number(match[1]) : undefined;
}

function machineLoad(): string {
  const [one, five] = os.loadavg();
  return `load average ${one!.toFixed(2)} (1 min), ${five!.toFixed(2)} (5 min) on ${os.cpus().length} cores`;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const child = argv[argv.indexOf('--child') + 1] as MeasureName | undefined;
  const args = parseArgs(argv);
  if (argv.includes('--child')) {
    const result = child === 'render' ? await measureRender(args.rows, args.maxPages) : await measureExport(args.rows, args.maxPages);
    console.log(JSON.stringify(result));
    return;
  }
  console.log(`dataio PDF bench: ${args.rows.toLocaleString('en-US')} products, PDF_MAX_PAGES ${args.maxPages}, Node ${process.versions.node}, ${machineLoad()}`);
  fs.mkdirSync(DATA_DIR, { recursive: true });
  const started = performance.now();
  const file = await prepareRows(args.rows);
  console.log(`rows: ${path.relative(ROOT, file)} (${(fs.statSync(file).size / 1048576).toFixed(1)} MB, ${((performance.now() - started) / 1000).toFixed(1)} s)`);
  const script = bundle();
  const results: Array<Measure & { run: number; load_before: string }> = [];
  for (let run = 1; run <= args.runs; run++) {
    for (const measure of MEASURES.filter((m) => args.only.has(m))) {
      const loadBefore = machineLoad();
      const result = runChild(script, measure, args);
      if (measure === 'render' && result.status === 'COMPLETED') result.pages = pdfPages(pdfFile(args.rows));
      results.push({ ...result, run, load_before: loadBefore });
      console.log(
        `${measure} #${run}: ${result.status}${result.error ? ` (${result.error})` : ''} in ${result.seconds} s (${result.cpu_s} s CPU); peak RSS ${result.peak_rss_mb} MB (at start ${result.start_rss_mb} MB), peak heap ${result.peak_heap_mb} MB` +
          `${result.pages !== undefined ? `; ${result.pages} pages` : ''}${result.bytes !== undefined ? `; ${(result.bytes / 1048576).toFixed(1)} MB` : ''}  [${loadBefore}]`,
      );
    }
  }
  if (fs.existsSync(pdfFile(args.rows)) && spawnSync('pdftoppm', ['-v']).status === 0) {
    spawnSync('pdftoppm', ['-png', '-r', '80', '-f', '1', '-l', '1', '-singlefile', pdfFile(args.rows), pdfFile(args.rows).replace(/\.pdf$/, '-page1')]);
  }
  const out = path.join(ROOT, 'bench', `results-pdf-${args.rows}.json`);
  fs.writeFileSync(out, `${JSON.stringify({ started_at: new Date().toISOString(), node: process.versions.node, cores: os.cpus().length, rows: args.rows, pdf_max_pages: args.maxPages, results }, null, 2)}\n`);
  console.log(`wrote ${path.relative(ROOT, out)}`);
}

function mb(bytes: number): number {
  return Math.round(bytes / 1048576);
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
