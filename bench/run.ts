/**
 * `npm run bench [-- --rows 1000000] [-- --only core,import-csv,...]`
 *
 * 1. Generates deterministic products files (CSV and XLSX) under bench/.data/.
 * 2. Core pipeline alone (parse → map → validate with an in-memory store), each measurement in a
 *    fresh Node process pinned to one core, from an esbuild bundle like the Lambda's.
 * 3. End to end on the local stack started as a user starts it (`node bin/local.js`, fresh data
 *    folder): import CSV, import XLSX, export CSV, export XLSX, each timed from the first API call
 *    to COMPLETED, with the peak RSS and CPU time of the stack's Node process and of DynamoDB Local's
 *    Java process, and the time per workflow phase from the handlers' JSON log lines.
 * 4. DynamoDB Local's raw BatchWriteItem and Query rates in the same run, to tell what bounds the
 *    end-to-end numbers.
 * Prints a table and writes bench/results.json.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { issueToken } from '../lambdas/shared/jwt';
import { freePort } from '../lib/local/dynamodb-local';
import { localJwtSecret } from '../lib/local/jwt-secret';
import { ApiClient } from '../test/support/api-client';
import { CORE_MEASURES, type CoreMeasure, type CoreMeasureName } from './core';
import { benchFile, generateParts, generateProducts, type GeneratedFile } from './generate';

const ROOT = path.join(__dirname, '..');
const DATA_DIR = path.join(__dirname, '.data');
const RESULTS_FILE = path.join(__dirname, 'results.json');
/** Results of a run with options other than the default go next to it, so runs do not overwrite each other. */
function resultsFileFor(args: { rows: number; dynamodb: string; isolation: string; only: Set<string> | null }): string {
  if (args.rows === 100_000 && args.dynamodb === 'disk' && args.isolation === 'in-process' && args.only === null) return RESULTS_FILE;
  const only = args.only ? `-${[...args.only].join('+')}` : '';
  const isolation = args.isolation === 'process' ? '-workers' : '';
  return path.join(__dirname, `results-${args.rows}-${args.dynamodb}${isolation}${only}.json`.replace(/[^A-Za-z0-9.+-]/g, '_'));
}
/** The direct (multipart) import route's limit (`maxDirectUploadBytes`). */
const DIRECT_UPLOAD_LIMIT = 6 * 1024 * 1024;
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100;

const E2E_SCENARIOS = ['import-csv', 'import-xlsx', 'export-csv', 'export-xlsx', 'dynamodb-raw'] as const;
type E2eScenarioName = (typeof E2E_SCENARIOS)[number];

interface Args {
  rows: number;
  only: Set<string> | null;
  keepData: boolean;
  /** When the presigned route is missing and a file is over 6 MB: import the same rows as ≤6 MB parts. */
  splitFallback: boolean;
  /** `disk`: `node bin/local.js` as a user runs it; `memory`: the same stack with DynamoDB Local in memory. */
  dynamodb: 'disk' | 'memory';
  /**
   * `in-process`: handlers run in the stack's process, as `npm start` runs them; `process`: in
   * worker processes like Lambda environments (LOCAL_LAMBDA_ISOLATION=process), so each
   * function's memory is measured apart from the emulators'.
   */
  isolation: 'in-process' | 'process';
}

function parseArgs(argv: string[]): Args {
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    if (i !== -1) return argv[i + 1];
    const inline = argv.find((a) => a.startsWith(`--${name}=`));
    return inline?.slice(name.length + 3);
  };
  const rows = Number((value('rows') ?? '100000').replace(/_/g, ''));
  if (!Number.isInteger(rows) || rows < 1) throw new Error(`--rows must be a positive integer, got ${value('rows')}`);
  const only = value('only');
  return {
    rows,
    only: only ? new Set(only.split(',').map((s) => s.trim()).filter(Boolean)) : null,
    keepData: argv.includes('--keep-data'),
    splitFallback: !argv.includes('--no-split-fallback'),
    dynamodb: value('dynamodb') === 'memory' ? 'memory' : 'disk',
    isolation: value('isolation') === 'process' ? 'process' : 'in-process',
  };
}

const wanted = (args: Args, name: string): boolean => args.only === null || args.only.has(name) || (name.startsWith('core') && args.only.has('core'));

// ---------------------------------------------------------------- process tree sampling (RSS, CPU)

interface ProcSample {
  pid: number;
  ppid: number;
  name: string;
  rssKb: number;
  /** utime + stime in clock ticks. */
  cpuTicks: number;
  /** The command line, arguments joined by spaces. */
  cmd: string;
}

function readProc(pid: number): ProcSample | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at index 2 (state).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const name = /^Name:\s+(\S+)/m.exec(status)?.[1] ?? '?';
    const ppid = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    const rssKb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    return { pid, ppid, name, rssKb, cpuTicks: Number(fields[11]) + Number(fields[12]), cmd };
  } catch {
    return undefined;
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
      const text = fs.readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      if (text) out.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // gone
  }
  return out;
}

function processTree(root: number): ProcSample[] {
  const seen: ProcSample[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    const sample = readProc(pid);
    if (!sample) continue;
    seen.push(sample);
    queue.push(...childrenOf(pid));
  }
  return seen;
}

/** The roles in the stack's process tree: tsx's launcher, the stack's Node process, DynamoDB Local, s3rver. */
interface Roles {
  node?: ProcSample;
  java?: ProcSample;
  /** s3rver's own process (`lib/local/s3-local-main.ts`): an emulator, like DynamoDB Local. */
  s3?: ProcSample;
  launcher?: ProcSample;
  /** Lambda worker processes (LOCAL_LAMBDA_ISOLATION=process): the stack's Node children. */
  workers: ProcSample[];
}

function rolesOf(tree: ProcSample[]): Roles {
  const java = tree.find((p) => p.name === 'java');
  // The stack's Node process is Java's parent; without Java yet, the deepest node process.
  const node = java ? tree.find((p) => p.pid === java.ppid) : tree.filter((p) => p.name.startsWith('node')).at(-1);
  const s3 = tree.find((p) => p.cmd.includes('s3-local-main'));
  const workers = node ? tree.filter((p) => p.ppid === node.pid && p.name.startsWith('node') && p !== s3) : [];
  const launcher = tree.find((p) => p.pid !== node?.pid && p.name.startsWith('node') && !workers.includes(p) && p !== s3);
  return { node, java, s3, launcher, workers };
}

/** Samples the tree every 200 ms; `window()` gives the peaks and CPU seconds since `mark()`. */
class TreeSampler {
  private timer: NodeJS.Timeout | undefined;
  private peakNodeKb = 0;
  private peakJavaKb = 0;
  private peakS3Kb = 0;
  /** The largest sum of the worker processes' RSS seen at one time. */
  private peakWorkersKb = 0;
  private startCpu = { node: 0, java: 0, s3: 0 };
  private startAt = 0;
  last: Roles = { workers: [] };

  constructor(
    private readonly root: number,
    /** The stack's DATAIO_MEMORY_LOG file (`lib/local/memory-log.ts`): its heap and Buffer figures. */
    private readonly memoryLog?: string,
  ) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), 200);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  sample(): Roles {
    const roles = rolesOf(processTree(this.root));
    if (roles.node) this.peakNodeKb = Math.max(this.peakNodeKb, roles.node.rssKb);
    if (roles.java) this.peakJavaKb = Math.max(this.peakJavaKb, roles.java.rssKb);
    if (roles.s3) this.peakS3Kb = Math.max(this.peakS3Kb, roles.s3.rssKb);
    this.peakWorkersKb = Math.max(this.peakWorkersKb, roles.workers.reduce((n, w) => n + w.rssKb, 0));
    this.last = roles;
    this.cpuSeries.push({ t: Date.now(), node: roles.node?.cpuTicks ?? 0, java: roles.java?.cpuTicks ?? 0 });
    return roles;
  }

  /** Cumulative CPU ticks over time, for `cpuBetween`. */
  private readonly cpuSeries: Array<{ t: number; node: number; java: number }> = [];

  /** CPU seconds of the Node and Java processes between two times, from the nearest samples. */
  cpuBetween(from: number, to: number): { cpu_node_s: number; cpu_java_s: number } | undefined {
    const at = (t: number) => this.cpuSeries.reduce((best, s) => (Math.abs(s.t - t) < Math.abs(best.t - t) ? s : best), this.cpuSeries[0]!);
    if (this.cpuSeries.length === 0) return undefined;
    const a = at(from);
    const b = at(to);
    return { cpu_node_s: round((b.node - a.node) / CLK_TCK, 1), cpu_java_s: round((b.java - a.java) / CLK_TCK, 1) };
  }

  mark(): void {
    const roles = this.sample();
    this.peakNodeKb = roles.node?.rssKb ?? 0;
    this.peakJavaKb = roles.java?.rssKb ?? 0;
    this.peakS3Kb = roles.s3?.rssKb ?? 0;
    this.peakWorkersKb = roles.workers.reduce((n, w) => n + w.rssKb, 0);
    this.startCpu = { node: roles.node?.cpuTicks ?? 0, java: roles.java?.cpuTicks ?? 0, s3: roles.s3?.cpuTicks ?? 0 };
    this.startAt = Date.now();
  }

  window(): ResourceWindow {
    const roles = this.sample();
    const seconds = (Date.now() - this.startAt) / 1000;
    const nodeCpu = ((roles.node?.cpuTicks ?? 0) - this.startCpu.node) / CLK_TCK;
    const javaCpu = ((roles.java?.cpuTicks ?? 0) - this.startCpu.java) / CLK_TCK;
    const s3Cpu = ((roles.s3?.cpuTicks ?? 0) - this.startCpu.s3) / CLK_TCK;
    return {
      peak_rss_node_mb: Math.round(this.peakNodeKb / 1024),
      peak_rss_java_mb: Math.round(this.peakJavaKb / 1024),
      peak_rss_s3_mb: Math.round(this.peakS3Kb / 1024),
      cpu_s3_s: round(s3Cpu, 1),
      ...(this.peakWorkersKb > 0 ? { peak_rss_workers_sum_mb: Math.round(this.peakWorkersKb / 1024) } : {}),
      end_rss_node_mb: Math.round((roles.node?.rssKb ?? 0) / 1024),
      cpu_node_s: round(nodeCpu, 1),
      cpu_java_s: round(javaCpu, 1),
      // 100 % = one core busy for the whole window.
      cpu_node_pct: seconds > 0 ? Math.round((nodeCpu / seconds) * 100) : 0,
      cpu_java_pct: seconds > 0 ? Math.round((javaCpu / seconds) * 100) : 0,
      ...(this.memoryLog ? { node_memory: memoryPeaks(this.memoryLog, this.startAt) } : {}),
    };
  }
}

/** Peaks of the stack's own `process.memoryUsage()` samples since `since`, in MB. */
interface MemoryPeaks {
  samples: number;
  peak_heap_used_mb: number;
  peak_heap_total_mb: number;
  peak_array_buffers_mb: number;
  peak_external_mb: number;
  /** heapUsed and arrayBuffers in the sample where RSS peaked: what the peak was made of. */
  at_rss_peak: { rss_mb: number; heap_used_mb: number; heap_total_mb: number; array_buffers_mb: number };
}

function memoryPeaks(file: string, since: number): MemoryPeaks | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const samples = text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      try {
        return JSON.parse(line) as { t: number; rss: number; heapTotal: number; heapUsed: number; external: number; arrayBuffers: number };
      } catch {
        return undefined; // a line being written
      }
    })
    .filter((m): m is NonNullable<typeof m> => m !== undefined && m.t >= since);
  if (samples.length === 0) return undefined;
  const mb = (bytes: number) => Math.round(bytes / 1048576);
  const peak = (pick: (m: (typeof samples)[number]) => number) => mb(Math.max(...samples.map(pick)));
  const top = samples.reduce((a, b) => (b.rss > a.rss ? b : a));
  return {
    samples: samples.length,
    peak_heap_used_mb: peak((m) => m.heapUsed),
    peak_heap_total_mb: peak((m) => m.heapTotal),
    peak_array_buffers_mb: peak((m) => m.arrayBuffers),
    peak_external_mb: peak((m) => m.external),
    at_rss_peak: { rss_mb: mb(top.rss), heap_used_mb: mb(top.heapUsed), heap_total_mb: mb(top.heapTotal), array_buffers_mb: mb(top.arrayBuffers) },
  };
}

interface ResourceWindow {
  peak_rss_node_mb: number;
  peak_rss_java_mb: number;
  /** s3rver's process (an emulator, apart from the stack's process). */
  peak_rss_s3_mb: number;
  cpu_s3_s: number;
  end_rss_node_mb: number;
  cpu_node_s: number;
  cpu_java_s: number;
  cpu_node_pct: number;
  cpu_java_pct: number;
  /** With worker processes: the largest sum of their RSS at one time (all Lambdas running at once). */
  peak_rss_workers_sum_mb?: number;
  node_memory?: MemoryPeaks;
}

// ---------------------------------------------------------------- the local stack as a user runs it

interface TaskLog {
  message: string;
  job_id?: string;
  chunk?: number;
  segment?: number;
  time: number;
  duration_ms?: number;
  level: string;
  error?: string;
  /** `lambda report` lines (worker processes): the function and its memory. */
  report?: LambdaReport;
}

/** A `lambda report` line of the local stack (`lib/local/local-stack.ts`). */
interface LambdaReport {
  function: string;
  cold_start: boolean;
  duration_ms: number;
  max_memory_used_mb: number;
  peak_heap_used_mb: number;
  peak_array_buffers_mb: number;
}

interface RunningStack {
  child: ChildProcess;
  apiUrl: string;
  dynamodbEndpoint: string;
  dataDir: string;
  sampler: TreeSampler;
  logs: TaskLog[];
  otherOutput: string[];
  /** `[local] sfn: ...` lines (execution starts, failures). */
  sfnLines: string[];
  logFile: string;
  stop(): Promise<void>;
}


/**
 * `node bin/local.js` with PORT and a fresh DATAIO_DATA_DIR (as test/support/local-stack-process.ts
 * does), but with the handlers' logs on (DATAIO_LOG unset) so the phases can be timed, and the
 * child's pid at hand for sampling.
 */
async function startStack(logFile: string, dynamodb: 'disk' | 'memory', isolation: Args['isolation'], timeoutMs = 180_000): Promise<RunningStack> {
  const memoryLog = logFile.replace(/\.log$/, '.memory.ndjson');
  fs.rmSync(memoryLog, { force: true });
  const logStream = fs.createWriteStream(logFile);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dataio-bench-'));
  // PORT+1..+3 are DynamoDB, S3 and SFN: find four free ports in a row by trying.
  let port = await freePort();
  if (port > 65000) port = 40000 + (port % 20000);
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), DATAIO_DATA_DIR: dataDir, DATAIO_MEMORY_LOG: memoryLog };
  delete env.DATAIO_LOG;
  if (isolation === 'process') env.LOCAL_LAMBDA_ISOLATION = 'process';
  else delete env.LOCAL_LAMBDA_ISOLATION;
  // Profiling the stack: e.g. BENCH_STACK_NODE_OPTIONS=--heapsnapshot-signal=SIGUSR2 (NODE_OPTIONS
  // reaches the process tsx starts; Java ignores it).
  if (process.env.BENCH_STACK_NODE_OPTIONS) env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} ${process.env.BENCH_STACK_NODE_OPTIONS}`.trim();
  if (dynamodb === 'memory') env.LOCAL_DYNAMODB = 'memory';
  else delete env.LOCAL_DYNAMODB;
  // bin/local.js as `npm start` runs it: the stack in a child process with few malloc arenas.
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'local.js')], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: TaskLog[] = [];
  const otherOutput: string[] = [];
  const sfnLines: string[] = [];
  let output = '';
  const onLine = (line: string): void => {
    logStream.write(`${line}\n`);
    if (line.startsWith('{')) {
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push({
          message: String(entry.message),
          // Powertools writes `timestamp` and upper-case levels; the earlier logger `time`.
          level: String(entry.level).toLowerCase(),
          time: Date.parse(String(entry.time ?? entry.timestamp)),
          ...(typeof entry.job_id === 'string' ? { job_id: entry.job_id } : {}),
          ...(typeof entry.chunk === 'number' ? { chunk: entry.chunk } : {}),
          ...(typeof entry.segment === 'number' ? { segment: entry.segment } : {}),
          ...(typeof entry.duration_ms === 'number' ? { duration_ms: entry.duration_ms } : {}),
          ...(entry.error ? { error: String(entry.error) } : {}),
          ...(entry.message === 'lambda report' ? { report: entry as unknown as LambdaReport } : {}),
        });
        if (/^(error|warn)$/i.test(String(entry.level))) otherOutput.push(line.slice(0, 2000));
        return;
      } catch {
        // not a log line
      }
    }
    if (line.trim()) otherOutput.push(line.slice(0, 2000));
    if (line.startsWith('[local] sfn:')) sfnLines.push(line.slice(0, 2000));
    if (otherOutput.length > 500) otherOutput.splice(0, otherOutput.length - 500);
  };
  const lineSplitter = () => {
    let rest = '';
    return (chunk: Buffer) => {
      const text = rest + chunk.toString();
      output = output.length < 20000 ? output + chunk.toString() : output;
      const lines = text.split('\n');
      rest = lines.pop() ?? '';
      lines.forEach(onLine);
    };
  };
  const outSplit = lineSplitter();
  child.stdout!.on('data', outSplit);
  child.stderr!.on('data', lineSplitter());
  const apiUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`local stack did not print READY within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const watch = () => {
      const match = /^READY (\S+)$/m.exec(output);
      if (match) {
        clearTimeout(timer);
        child.stdout!.off('data', watch);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', watch);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`local stack exited with ${code}:\n${output}`));
    });
  });
  const dynamodbEndpoint = /^\s*DynamoDB\s+(http:\/\/[^\s,]+)/m.exec(output)?.[1];
  if (!dynamodbEndpoint) throw new Error(`the local stack did not print its DynamoDB endpoint:\n${output}`);
  const sampler = new TreeSampler(child.pid!, memoryLog);
  sampler.start();
  return {
    child,
    apiUrl,
    dynamodbEndpoint,
    dataDir,
    sampler,
    logs,
    otherOutput,
    sfnLines,
    logFile,
    stop: async () => {
      sampler.stop();
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timeout = setTimeout(() => child.kill('SIGKILL'), 15000);
        await exited;
        clearTimeout(timeout);
      }
      logStream.end();
    },
  };
}

// ---------------------------------------------------------------- API helpers

/* eslint-disable @typescript-eslint/no-explicit-any -- job JSON from the API */

/** PUTs (or POSTs) a file to a presigned URL with an explicit Content-Length, streaming from disk. */
function uploadFile(url: string, method: string, headers: Record<string, string>, file: string): Promise<number> {
  const size = fs.statSync(file).size;
  const target = new URL(url);
  const transport = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = transport.request(target, { method, headers: { ...headers, 'content-length': String(size) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('end', () => {
        const status = response.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve(status);
        else reject(new Error(`upload answered ${status}: ${Buffer.concat(chunks).toString().slice(0, 500)}`));
      });
    });
    request.on('error', reject);
    fs.createReadStream(file).pipe(request);
  });
}

interface StartedJob {
  jobId: string;
  /** Seconds spent before the job was accepted (upload URL, PUT, POST). */
  submitSeconds: number;
  route: 'presigned' | 'multipart' | 'export';
}

class Skip extends Error {}

/** Starts an import the way a client would: the presigned-upload route when it exists, else multipart for a small file. */
async function startImport(api: ApiClient, file: string, contentType: string): Promise<StartedJob> {
  const started = Date.now();
  const filename = path.basename(file).replace(/\.part\d+-of-\d+/, '');
  const size = fs.statSync(file).size;
  const urlAnswer = await api.request('POST', '/api/v1/products/import/uploads/', { filename, content_type: contentType, size });
  if (urlAnswer.status === 201) {
    const { upload_id: uploadId, url, method = 'PUT', headers = {} } = urlAnswer.body as { upload_id: string; url: string; method?: string; headers?: Record<string, string> };
    await uploadFile(url, method, headers, file);
    const accepted = await api.request('POST', '/api/v1/products/import/', { upload_id: uploadId });
    if (accepted.status !== 202) throw new Error(`POST /import/ {upload_id} answered ${accepted.status}: ${JSON.stringify(accepted.body)}`);
    return { jobId: accepted.body.job_id, submitSeconds: (Date.now() - started) / 1000, route: 'presigned' };
  }
  if (urlAnswer.status !== 404) throw new Error(`POST /import/uploads/ answered ${urlAnswer.status}: ${JSON.stringify(urlAnswer.body)}`);
  if (size > DIRECT_UPLOAD_LIMIT) {
    throw new Skip(`no presigned-upload route yet (POST /api/v1/products/import/uploads/ → 404) and the file is ${(size / 1048576).toFixed(1)} MB, over the 6 MB multipart limit`);
  }
  const form = new FormData();
  form.append('file', new Blob([fs.readFileSync(file)], { type: contentType }), filename);
  const accepted = await api.request('POST', '/api/v1/products/import/', form);
  if (accepted.status !== 202) throw new Error(`multipart POST /import/ answered ${accepted.status}: ${JSON.stringify(accepted.body)}`);
  return { jobId: accepted.body.job_id, submitSeconds: (Date.now() - started) / 1000, route: 'multipart' };
}

/** Polls the job until it ends, printing its progress as it goes. */
async function waitForJob(api: ApiClient, jobId: string, label: string, timeoutMs: number): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let lastPrinted = 0;
  let lastText = '';
  for (;;) {
    const { status, body } = await api.request('GET', `/api/v1/data-jobs/${jobId}/`);
    if (status !== 200) throw new Error(`GET job ${jobId} answered ${status}: ${JSON.stringify(body)}`);
    const p = body.progress ?? {};
    const text = `${body.status} rows ${p.rows_processed ?? 0}/${p.rows_total ?? '?'} chunks ${p.chunks_done ?? 0}/${p.chunks_total ?? '?'}`;
    if (['COMPLETED', 'FAILED', 'CANCELLED'].includes(body.status)) {
      console.log(`    ${label}: ${text}`);
      return body;
    }
    if (Date.now() - lastPrinted > 3000 && text !== lastText) {
      console.log(`    ${label}: ${text}`);
      lastPrinted = Date.now();
      lastText = text;
    }
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${body.status} after ${timeoutMs} ms (${text})`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

// ---------------------------------------------------------------- where the time goes

interface PhaseTiming {
  phase: string;
  /** Tasks that finished. */
  tasks: number;
  /** Tasks that started (more than `tasks` when some failed or were still running). */
  started: number;
  failed: number;
  /** From the first task's start to the last task's end, seconds. */
  wall_s: number;
  /** Sum of the tasks' own durations, seconds (> wall when tasks overlap). */
  busy_s: number;
  /**
   * CPU seconds the stack's Node process and DynamoDB Local's Java process used between the
   * phase's first start and last end (200 ms samples): which of the two the phase kept busy.
   */
  cpu_node_s?: number;
  cpu_java_s?: number;
}

const IMPORT_PHASES: Array<[string, string]> = [
  ['prepare', 'import-prepare'],
  ['validate', 'import-validate-chunk'],
  ['decide', 'import-decide'],
  ['commit', 'import-commit-chunk'],
  ['finalize', 'import-finalize'],
];
const EXPORT_PHASES: Array<[string, string]> = [
  ['plan', 'export-plan'],
  ['segments', 'export-segment'],
  ['assemble', 'export-assemble'],
];

/** Waits (up to 5 s) for the last task of each job to log `finished`: the job completes just before. */
async function settleLogs(stack: RunningStack, jobIds: readonly string[], lastTask: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    if (jobIds.every((id) => stack.logs.some((l) => l.job_id === id && (l.message === `${lastTask} finished` || l.message === `${lastTask} failed`)))) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // With worker processes, the invocation's `lambda report` line comes from the stack just after.
  await new Promise((resolve) => setTimeout(resolve, 500));
}

function phasesOf(logs: readonly TaskLog[], jobIds: ReadonlySet<string>, phases: Array<[string, string]>, sampler?: TreeSampler): PhaseTiming[] {
  const mine = logs.filter((l) => l.job_id !== undefined && jobIds.has(l.job_id));
  return phases.map(([phase, task]) => {
    const started = mine.filter((l) => l.message === `${task} started`);
    const finished = mine.filter((l) => l.message === `${task} finished`);
    const failed = mine.filter((l) => l.message === `${task} failed`).length;
    if (finished.length === 0) return { phase, tasks: 0, started: started.length, failed, wall_s: 0, busy_s: 0 };
    const first = Math.min(...started.map((l) => l.time), ...finished.map((l) => l.time - (l.duration_ms ?? 0)));
    const last = Math.max(...finished.map((l) => l.time));
    const busy = finished.reduce((n, l) => n + (l.duration_ms ?? 0), 0);
    const cpu = sampler?.cpuBetween(first, last);
    return { phase, tasks: finished.length, started: started.length, failed, wall_s: round((last - first) / 1000, 2), busy_s: round(busy / 1000, 2), ...cpu };
  });
}

/** Per function, what its worker processes used since `since` (`lambda report` lines; none in process). */
interface LambdaMemory {
  invocations: number;
  cold_starts: number;
  /** The largest "Max Memory Used" (the worker's peak RSS since it started). */
  max_memory_used_mb: number;
  peak_heap_used_mb: number;
  peak_array_buffers_mb: number;
  busy_s: number;
}

function lambdaMemory(logs: readonly TaskLog[], since: number): { lambdas?: Record<string, LambdaMemory> } {
  const byFunction: Record<string, LambdaMemory> = {};
  for (const { report, time } of logs) {
    if (!report || time < since) continue;
    const m = (byFunction[report.function] ??= { invocations: 0, cold_starts: 0, max_memory_used_mb: 0, peak_heap_used_mb: 0, peak_array_buffers_mb: 0, busy_s: 0 });
    m.invocations += 1;
    m.cold_starts += report.cold_start ? 1 : 0;
    m.max_memory_used_mb = Math.max(m.max_memory_used_mb, report.max_memory_used_mb);
    m.peak_heap_used_mb = Math.max(m.peak_heap_used_mb, report.peak_heap_used_mb);
    m.peak_array_buffers_mb = Math.max(m.peak_array_buffers_mb, report.peak_array_buffers_mb);
    m.busy_s = round(m.busy_s + report.duration_ms / 1000, 2);
  }
  return Object.keys(byFunction).length > 0 ? { lambdas: byFunction } : {};
}

// ---------------------------------------------------------------- scenarios

/**
 * Waits until the stack is idle (Node and Java under 15 % of a core over 2 s), so a scenario does
 * not pay for work a previous one left running (e.g. chunk tasks of a failed job).
 */
async function waitForIdle(stack: RunningStack, maxMs = 600_000): Promise<number> {
  const started = Date.now();
  for (;;) {
    const before = stack.sampler.sample();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const after = stack.sampler.sample();
    const busy = (a?: ProcSample, b?: ProcSample) => ((b?.cpuTicks ?? 0) - (a?.cpuTicks ?? 0)) / CLK_TCK / 2;
    if ((busy(before.node, after.node) < 0.15 && busy(before.java, after.java) < 0.15) || Date.now() - started > maxMs) return (Date.now() - started) / 1000;
  }
}

/** 1-minute load average and other busy processes outside the bench: a shared machine skews numbers. */
function machineLoad(exclude: ReadonlySet<number>): { loadavg_1m: number; other_busy: string[] } {
  const loadavg = Number(fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  const other: string[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || exclude.has(pid) || pid === process.pid) continue;
    const p = readProc(pid);
    if (p && (p.name === 'java' || p.name.startsWith('node') || p.name === 'jest') && p.rssKb > 100 * 1024) other.push(`${p.name}(${pid}) ${Math.round(p.rssKb / 1024)} MB`);
  }
  return { loadavg_1m: loadavg, other_busy: other };
}

interface ScenarioResult {
  name: string;
  status: 'ok' | 'failed' | 'skipped';
  reason?: string;
  rows?: number;
  seconds?: number;
  rows_per_s?: number;
  route?: string;
  jobs?: number;
  submit_s?: number;
  /** Sum over the jobs of finished_at − created_at (server clock). */
  server_s?: number;
  phases?: PhaseTiming[];
  resources?: ResourceWindow;
  /** With worker processes: each function's memory (Lambda's "Max Memory Used"). */
  lambdas?: Record<string, LambdaMemory>;
  totals?: unknown;
  output_bytes?: number;
  result_log?: unknown;
  notes?: string[];
  extra?: Record<string, unknown>;
  /** Seconds waited for the stack to go idle before the scenario. */
  idle_wait_s?: number;
  machine_load?: { loadavg_1m: number; other_busy: string[] };
}

function serverSeconds(job: any): number {
  return (Date.parse(job.finished_at) - Date.parse(job.created_at)) / 1000;
}

async function importScenario(
  name: string,
  stack: RunningStack,
  api: ApiClient,
  files: GeneratedFile[],
  contentType: string,
  rowsExpected: number,
  note?: string,
): Promise<ScenarioResult> {
  stack.sampler.mark();
  const t0 = Date.now();
  const jobs: any[] = [];
  let submit = 0;
  let route = '';
  try {
    // Parts go one after the other, as a client uploading a split file would.
    for (const [i, f] of files.entries()) {
      const started = await startImport(api, f.file, contentType);
      submit += started.submitSeconds;
      route = started.route;
      const job = await waitForJob(api, started.jobId, files.length > 1 ? `${name} part ${i + 1}/${files.length}` : name, Math.max(1_800_000, rowsExpected * 20));
      jobs.push(job);
      if (job.status !== 'COMPLETED') break;
    }
  } catch (error) {
    const resources = stack.sampler.window();
    if (error instanceof Skip) return { name, status: 'skipped', reason: error.message, resources };
    return { name, status: 'failed', reason: error instanceof Error ? error.message : String(error), resources, seconds: (Date.now() - t0) / 1000 };
  }
  const seconds = (Date.now() - t0) / 1000;
  const resources = stack.sampler.window();
  const ids = new Set(jobs.map((j) => j.job_id as string));
  await settleLogs(stack, jobs.filter((j) => j.status === 'COMPLETED').map((j) => j.job_id as string), 'import-finalize');
  const totals = jobs.reduce(
    (acc, j) => {
      const t = j.result_log?.totals ?? {};
      for (const k of ['rows', 'new', 'updated', 'skipped', 'errors']) acc[k] = (acc[k] ?? 0) + (t[k] ?? 0);
      return acc;
    },
    {} as Record<string, number>,
  );
  const failed = jobs.find((j) => j.status !== 'COMPLETED');
  const rows = totals.rows ?? 0;
  const diagnostics = failed ? failureDiagnostics(stack, failed.job_id) : undefined;
  return {
    name,
    status: failed ? 'failed' : 'ok',
    ...(failed ? { reason: `job ${failed.job_id} ended ${failed.status}: ${JSON.stringify(failed.result_log?.error ?? failed.result_log).slice(0, 1000)}`, result_log: failed.result_log } : {}),
    rows,
    seconds: round(seconds, 2),
    rows_per_s: Math.round(rows / seconds),
    route,
    jobs: jobs.length,
    submit_s: round(submit, 2),
    server_s: round(jobs.reduce((n, j) => n + serverSeconds(j), 0), 2),
    phases: phasesOf(stack.logs, ids, IMPORT_PHASES, stack.sampler),
    resources,
    ...lambdaMemory(stack.logs, t0),
    totals,
    ...(note ? { notes: [note] } : {}),
    ...(diagnostics ? { extra: { diagnostics } } : {}),
  };
}

/** What the stack logged about a failed job: task failures and the execution's lines. */
function failureDiagnostics(stack: RunningStack, jobId: string): { task_errors: string[]; sfn: string[]; tasks_started_not_finished: string[] } {
  const mine = stack.logs.filter((l) => l.job_id === jobId);
  const finished = new Set(mine.filter((l) => l.message.endsWith(' finished')).map((l) => `${l.message.replace(/ finished$/, '')}#${l.chunk ?? l.segment ?? ''}`));
  const open = mine
    .filter((l) => l.message.endsWith(' started'))
    .map((l) => `${l.message.replace(/ started$/, '')}#${l.chunk ?? l.segment ?? ''}`)
    .filter((k) => !finished.has(k));
  return {
    task_errors: mine.filter((l) => l.level === 'error' || l.level === 'warn').map((l) => `${l.message}${l.chunk !== undefined ? ` chunk ${l.chunk}` : ''}: ${l.error ?? ''}`.slice(0, 600)).slice(0, 20),
    sfn: stack.sfnLines.filter((l) => l.includes(jobId)).slice(0, 20),
    tasks_started_not_finished: open.slice(0, 50),
  };
}

async function exportScenario(name: string, format: 'csv' | 'xlsx', stack: RunningStack, api: ApiClient, rowsExpected: number): Promise<ScenarioResult> {
  stack.sampler.mark();
  const t0 = Date.now();
  try {
    const started = await api.request('POST', '/api/v1/products/export/', { format, filters: { field: 'sku', op: 'gte', value: 'BENCH-' } });
    if (started.status !== 202) throw new Error(`export answered ${started.status}: ${JSON.stringify(started.body)}`);
    const submit = (Date.now() - t0) / 1000;
    const job = await waitForJob(api, started.body.job_id, name, Math.max(1_800_000, rowsExpected * 20));
    const seconds = (Date.now() - t0) / 1000;
    const resources = stack.sampler.window();
    const rows = job.result_log?.totals?.rows ?? 0;
    await settleLogs(stack, [job.job_id], 'export-assemble');
    return {
      name,
      status: job.status === 'COMPLETED' ? 'ok' : 'failed',
      ...(job.status !== 'COMPLETED' ? { reason: JSON.stringify(job.result_log?.error ?? job.result_log).slice(0, 1000), result_log: job.result_log } : {}),
      rows,
      seconds: round(seconds, 2),
      rows_per_s: Math.round(rows / seconds),
      route: 'export',
      jobs: 1,
      submit_s: round(submit, 2),
      server_s: round(serverSeconds(job), 2),
      phases: phasesOf(stack.logs, new Set([job.job_id]), EXPORT_PHASES, stack.sampler),
      resources,
      ...lambdaMemory(stack.logs, t0),
      output_bytes: job.output_file?.size,
    };
  } catch (error) {
    return { name, status: 'failed', reason: error instanceof Error ? error.message : String(error), resources: stack.sampler.window() };
  }
}

/**
 * DynamoDB Local's own rates on the records table, from this process: BatchWriteItem (25 items a
 * call, items shaped like a product record) at 1 and 10 writers, and Query (1 MB pages) of the
 * products just imported with 4 readers, like the export's 4 segments.
 */
async function dynamodbRaw(name: string, stack: RunningStack, itemsPerRun: number): Promise<ScenarioResult> {
  stack.sampler.mark();
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: stack.dynamodbEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  try {
    const tables = (await client.send(new ListTablesCommand({}))).TableNames ?? [];
    const table = tables.find((t) => /records/i.test(t));
    if (!table) throw new Error(`no records table among ${tables.join(', ')}`);
    const item = (run: string, i: number) => ({
      pk: `bench-raw#products#${i % 32}`,
      sk: `${run}-${String(i).padStart(8, '0')}`,
      id: `${run}-${i}`,
      _org: 'bench-raw',
      _model: 'products',
      _created_at: '2026-01-01T00:00:00.000Z',
      _updated_at: '2026-01-01T00:00:00.000Z',
      _created_by: 'bench',
      _updated_by: 'bench',
      _job_id: '01kbenchrawjob0000000000000',
      sku: `RAW-${String(i).padStart(7, '0')}`,
      name: 'Rugged Wrench 267',
      description: 'A wrench made to last. Größe 8, Ø 9 mm.',
      price: 1482.67,
      quantity: 4586,
      active: true,
      status: 'active',
      category: 'cat-0012',
      supplier: 'sup-0007',
      tags: ['tag-0003', 'tag-0006'],
      released_on: '2021-10-10',
      weight_kg: 79.875,
    });
    const writeRun = async (run: string, writers: number): Promise<{ writers: number; items: number; seconds: number; items_per_s: number }> => {
      let next = 0;
      const started = Date.now();
      const worker = async () => {
        for (;;) {
          const first = next;
          if (first >= itemsPerRun) return;
          next += 25;
          let pending: any[] = Array.from({ length: Math.min(25, itemsPerRun - first) }, (_, k) => ({ PutRequest: { Item: item(run, first + k) } }));
          while (pending.length > 0) {
            const result = await client.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
            pending = (result.UnprocessedItems?.[table] ?? []) as any[];
          }
        }
      };
      await Promise.all(Array.from({ length: writers }, worker));
      const seconds = (Date.now() - started) / 1000;
      return { writers, items: itemsPerRun, seconds: round(seconds, 2), items_per_s: Math.round(itemsPerRun / seconds) };
    };
    const writes = [await writeRun(`${name}-w1`, 1), await writeRun(`${name}-w4`, 4), await writeRun(`${name}-w10`, 10)];
    // Query every shard of acme's products, 4 readers (the export's segments), 1 MB pages.
    const queryStarted = Date.now();
    let queried = 0;
    await Promise.all(
      Array.from({ length: 4 }, async (_, segment) => {
        for (let shard = segment; shard < 32; shard += 4) {
          let startKey: Record<string, unknown> | undefined;
          do {
            const page = await client.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `acme#products#${shard}` }, ExclusiveStartKey: startKey }));
            queried += page.Items?.length ?? 0;
            startKey = page.LastEvaluatedKey;
          } while (startKey);
        }
      }),
    );
    const querySeconds = (Date.now() - queryStarted) / 1000;
    const best = Math.max(...writes.map((w) => w.items_per_s));
    return {
      name,
      status: 'ok',
      resources: stack.sampler.window(),
      extra: { table, batch_write: writes, query: { readers: 4, items: queried, seconds: round(querySeconds, 2), items_per_s: Math.round(queried / querySeconds) }, best_write_items_per_s: best },
    };
  } catch (error) {
    return { name, status: 'failed', reason: error instanceof Error ? error.message : String(error) };
  } finally {
    client.destroy();
  }
}

// ---------------------------------------------------------------- core pipeline (child processes)

function bundleCore(): string {
  const out = path.join(DATA_DIR, 'core.bundle.js');
  // Bundled and minified like the Lambda functions (lib/constructs/dataio-function.ts): tsx's
  // on-the-fly transform keeps function names with a `__name` helper that costs time in hot loops.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof import('esbuild');
  esbuild.buildSync({ entryPoints: [path.join(__dirname, 'core.ts')], bundle: true, platform: 'node', target: 'node20', minify: true, outfile: out, logLevel: 'warning' });
  return out;
}

function runCoreMeasure(bundle: string, name: CoreMeasureName, file: string): CoreMeasure & { pinned: boolean } {
  const hasTaskset = spawnSync('taskset', ['--version']).status === 0;
  const command = hasTaskset ? 'taskset' : process.execPath;
  const args = hasTaskset ? ['-c', '0', process.execPath, bundle] : [bundle];
  const result = spawnSync(command, [...args, '--measure', name, '--file', file], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, env: { ...process.env, NODE_NO_WARNINGS: '1', BENCH_AFFINITY: hasTaskset ? 'cpu0' : '' } });
  if (result.status !== 0) throw new Error(`core ${name} failed (${result.status}): ${result.stderr}`);
  process.stdout.write(result.stderr);
  const line = result.stdout.trim().split('\n').at(-1) ?? '{}';
  return { ...(JSON.parse(line) as { result: CoreMeasure }).result, pinned: hasTaskset };
}

// ---------------------------------------------------------------- output

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function machineInfo() {
  const cpus = os.cpus();
  const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout?.trim();
  const dirty = spawnSync('git', ['status', '--porcelain', '--', 'layers', 'lambdas', 'lib'], { cwd: ROOT, encoding: 'utf8' }).stdout?.trim();
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' }).stderr?.split('\n')[0]?.trim();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memory_gb: round(os.totalmem() / 1024 ** 3, 1),
    node: process.version,
    java,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    commit: git ? `${git}${dirty ? ' (working tree changes under layers/lambdas/lib)' : ''}` : undefined,
  };
}

function pad(text: string | number, width: number, left = false): string {
  const s = String(text);
  return left ? s.padEnd(width) : s.padStart(width);
}

function printTable(core: Array<CoreMeasure & { pinned: boolean }>, e2e: ScenarioResult[]): void {
  console.log('');
  console.log('Core pipeline (in process, one core):');
  console.log(`  ${pad('measure', 40, true)} ${pad('rows', 9)} ${pad('s', 8)} ${pad('rows/s', 9)} ${pad('peak RSS MB', 12)}`);
  for (const c of core) console.log(`  ${pad(c.name, 40, true)} ${pad(c.rows, 9)} ${pad(c.seconds.toFixed(2), 8)} ${pad(c.rows_per_s, 9)} ${pad(c.peak_rss_mb, 12)}`);
  console.log('');
  console.log('End to end on the local stack (API call → COMPLETED):');
  console.log(`  ${pad('scenario', 26, true)} ${pad('rows', 9)} ${pad('s', 8)} ${pad('rows/s', 8)} ${pad('node MB', 8)} ${pad('heap MB', 8)} ${pad('buf MB', 7)} ${pad('java MB', 8)} ${pad('s3 MB', 6)} ${pad('node CPU', 9)} ${pad('java CPU', 9)}  phases (wall s)`);
  for (const s of e2e) {
    if (s.name.startsWith('dynamodb-raw')) continue;
    if (s.status !== 'ok') {
      console.log(`  ${pad(s.name, 26, true)} ${s.status.toUpperCase()}: ${s.reason ?? ''}`.slice(0, 400));
      continue;
    }
    const r = s.resources!;
    const phases = (s.phases ?? []).map((p) => `${p.phase} ${p.wall_s}${p.cpu_node_s !== undefined && p.wall_s >= 1 ? ` (cpu node ${p.cpu_node_s}/java ${p.cpu_java_s})` : ''}`).join(', ');
    console.log(
      `  ${pad(s.name, 26, true)} ${pad(s.rows ?? 0, 9)} ${pad((s.seconds ?? 0).toFixed(1), 8)} ${pad(s.rows_per_s ?? 0, 8)} ${pad(r.peak_rss_node_mb, 8)} ${pad(r.node_memory?.peak_heap_used_mb ?? '-', 8)} ${pad(r.node_memory?.peak_array_buffers_mb ?? '-', 7)} ${pad(r.peak_rss_java_mb, 8)} ${pad(r.peak_rss_s3_mb ?? '-', 6)} ${pad(`${r.cpu_node_pct}%`, 9)} ${pad(`${r.cpu_java_pct}%`, 9)}  ${phases}`,
    );
  }
  const withLambdas = e2e.filter((s) => s.lambdas);
  if (withLambdas.length > 0) {
    console.log('');
    console.log('Functions in worker processes (max memory used = peak RSS of the worker, like Lambda\'s REPORT line):');
    console.log(`  ${pad('scenario', 14, true)} ${pad('function', 28, true)} ${pad('calls', 6)} ${pad('cold', 5)} ${pad('max MB', 7)} ${pad('heap MB', 8)} ${pad('buf MB', 7)} ${pad('busy s', 8)}`);
    for (const s of withLambdas) {
      for (const [fn, m] of Object.entries(s.lambdas!)) {
        console.log(`  ${pad(s.name, 14, true)} ${pad(fn, 28, true)} ${pad(m.invocations, 6)} ${pad(m.cold_starts, 5)} ${pad(m.max_memory_used_mb, 7)} ${pad(m.peak_heap_used_mb, 8)} ${pad(m.peak_array_buffers_mb, 7)} ${pad(m.busy_s, 8)}`);
      }
    }
    console.log(`  workers' RSS summed at its peak: ${withLambdas.map((s) => `${s.name} ${s.resources?.peak_rss_workers_sum_mb ?? '-'} MB`).join(', ')}`);
  }
  console.log('');
  for (const raw of e2e.filter((s) => s.name.startsWith('dynamodb-raw'))) {
    const x = raw.extra as any;
    if (raw.status === 'ok') console.log(`${raw.name}: BatchWriteItem ${x.batch_write.map((w: any) => `${w.items_per_s} items/s at ${w.writers} writer(s)`).join(', ')}; Query ${x.query.items_per_s} items/s (${x.query.items} items, 4 readers)`);
    else console.log(`${raw.name}: ${raw.status} ${raw.reason ?? ''}`);
  }
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const startedAt = new Date();
  const machine = machineInfo();
  console.log(`dataio bench: ${args.rows.toLocaleString('en-US')} rows on ${machine.cpu} (${machine.cores} cores, ${machine.memory_gb} GB), Node ${machine.node}`);
  fs.mkdirSync(DATA_DIR, { recursive: true });

  console.log('generating files…');
  const csv = await generateProducts({ rows: args.rows, format: 'csv', prefix: 'BENCH-C-', file: benchFile('csv', args.rows, 'BENCH-C-') });
  const xlsx = await generateProducts({ rows: args.rows, format: 'xlsx', prefix: 'BENCH-X-', file: benchFile('xlsx', args.rows, 'BENCH-X-') });
  for (const f of [csv, xlsx]) console.log(`  ${path.relative(ROOT, f.file)}: ${(f.bytes / 1048576).toFixed(1)} MB${f.cached ? ' (cached)' : ` in ${f.seconds.toFixed(1)} s`}`);

  const results: Record<string, unknown> = { started_at: startedAt.toISOString(), machine, rows: args.rows, files: [csv, xlsx].map((f) => ({ ...f, file: path.relative(ROOT, f.file) })) };
  const resultsFile = resultsFileFor(args);
  const write = () => fs.writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);

  // Core first, with nothing else running.
  const core: Array<CoreMeasure & { pinned: boolean }> = [];
  const coreWanted = CORE_MEASURES.filter((m) => wanted(args, 'core') || wanted(args, `core-${m}`));
  if (coreWanted.length > 0) {
    console.log('core pipeline (one process per measure, pinned to cpu 0)…');
    const bundle = bundleCore();
    for (const m of coreWanted) core.push(runCoreMeasure(bundle, m, m.endsWith('xlsx') && !m.startsWith('render') ? xlsx.file : csv.file));
    results.core = core;
    write();
  }

  const e2e: ScenarioResult[] = [];
  const e2eWanted = E2E_SCENARIOS.filter((s) => wanted(args, s));
  if (e2eWanted.length > 0) {
    console.log('starting the local stack (node bin/local.js)…');
    const logFile = path.join(DATA_DIR, `stack-${args.rows}-${args.dynamodb}.log`);
    console.log(args.dynamodb === 'memory' ? '  (DynamoDB Local in memory: LOCAL_DYNAMODB=memory)' : '  (as a user runs it: DynamoDB Local persisted under the data folder)');
    if (args.isolation === 'process') console.log('  (handlers in worker processes, like Lambda environments: LOCAL_LAMBDA_ISOLATION=process)');
    const stack = await startStack(logFile, args.dynamodb, args.isolation);
    results.dynamodb_local_mode = args.dynamodb;
    results.lambda_isolation = args.isolation;
    results.e2e = e2e;
    results.stack_log = path.relative(ROOT, logFile);
    const cleanup = () => {
      if (stack.child.exitCode === null) stack.child.kill('SIGTERM');
    };
    process.once('SIGINT', () => {
      cleanup();
      process.exit(130);
    });
    try {
      console.log(`  API ${stack.apiUrl}, DynamoDB ${stack.dynamodbEndpoint}, data ${stack.dataDir}`);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const idle = stack.sampler.sample();
      results.stack_idle_rss_mb = { node: Math.round((idle.node?.rssKb ?? 0) / 1024), java: Math.round((idle.java?.rssKb ?? 0) / 1024), s3: Math.round((idle.s3?.rssKb ?? 0) / 1024), launcher: Math.round((idle.launcher?.rssKb ?? 0) / 1024) };
      console.log(`  idle RSS: node ${(results.stack_idle_rss_mb as any).node} MB, java ${(results.stack_idle_rss_mb as any).java} MB, s3rver ${(results.stack_idle_rss_mb as any).s3} MB`);
      const secret = localJwtSecret(stack.dataDir);
      const api = new ApiClient(stack.apiUrl, issueToken({ org: 'acme', user: 'bench', perms: ['*'] }, secret));

      const treePids = () => new Set(processTree(stack.child.pid!).map((p) => p.pid));
      /** Waits for the stack to be idle, then runs the scenario and notes the machine's load. */
      const measured = async (run: () => Promise<ScenarioResult>): Promise<ScenarioResult> => {
        const idleWait = await waitForIdle(stack);
        const load = machineLoad(treePids());
        const result = await run();
        return { ...result, idle_wait_s: round(idleWait, 1), machine_load: load };
      };
      const rawItems = Math.min(40_000, Math.max(10_000, args.rows / 5));
      if (e2eWanted.includes('dynamodb-raw')) {
        console.log('dynamodb-raw (before the imports)…');
        e2e.push(await measured(() => dynamodbRaw('dynamodb-raw', stack, rawItems)));
        write();
      }
      const runImport = async (name: E2eScenarioName, file: GeneratedFile, contentType: string) => {
        console.log(`${name}…`);
        const result = await measured(() => importScenario(name, stack, api, [file], contentType, args.rows));
        e2e.push(result);
        if (result.status === 'skipped') {
          console.log(`  skipped: ${result.reason}`);
          if (args.splitFallback) {
            // Same rows, cut into files the multipart route takes, imported one after the other:
            // not the scenario the issue asks for, but it measures the same pipeline end to end.
            const bytesPerRow = file.bytes / file.rows;
            const rowsPerPart = Math.floor((DIRECT_UPLOAD_LIMIT * 0.85) / bytesPerRow / 1000) * 1000;
            const parts = await generateParts({ rows: file.rows, format: file.format, prefix: file.prefix, baseFile: file.file, rowsPerPart });
            const substitute = `${name} (${parts.length}×multipart)`;
            console.log(`${substitute}: the same ${file.rows} rows as ${parts.length} files of ≤${rowsPerPart} rows…`);
            e2e.push(
              await measured(() =>
                importScenario(substitute, stack, api, parts, contentType, args.rows, `substitute for ${name}: ${parts.length} sequential multipart imports of ≤${rowsPerPart} rows each (≤6 MB), because ${result.reason}`),
              ),
            );
          }
        }
        write();
      };
      if (e2eWanted.includes('import-csv')) await runImport('import-csv', csv, 'text/csv');
      if (e2eWanted.includes('import-xlsx')) await runImport('import-xlsx', xlsx, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
      for (const format of ['csv', 'xlsx'] as const) {
        if (!e2eWanted.includes(`export-${format}`)) continue;
        console.log(`export-${format}…`);
        e2e.push(await measured(() => exportScenario(`export-${format}`, format, stack, api, args.rows)));
        write();
      }
      if (e2eWanted.includes('dynamodb-raw')) {
        console.log('dynamodb-raw (after, on the grown table)…');
        e2e.push(await measured(() => dynamodbRaw('dynamodb-raw-after', stack, rawItems)));
      }
      results.stack_errors = stack.otherOutput.filter((l) => /"level":"(error|warn)"|Error|error/.test(l)).slice(-30);
    } finally {
      results.e2e = e2e;
      write();
      await stack.stop();
      if (!args.keepData) fs.rmSync(stack.dataDir, { recursive: true, force: true });
      else console.log(`kept the stack's data in ${stack.dataDir}`);
    }
  }

  results.finished_at = new Date().toISOString();
  write();
  printTable(core, e2e);
  console.log(`\nwrote ${path.relative(process.cwd(), resultsFile)}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
