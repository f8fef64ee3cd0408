import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Job statuses and types, as the API spells them. */
export const JOB_STATUSES = ['PENDING', 'QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;
export const JOB_TYPES = ['IMPORT', 'EXPORT'] as const;
export const EXPORT_FORMATS = ['csv', 'xlsx', 'pdf'] as const;
export const UPLOAD_MODES = ['auto', 'direct', 'presigned'] as const;

/** How to reach the API: `--api` (else DATAIO_API_URL, else the local stack) and, for a token minted locally, who. */
export interface ConnectionArgs {
  readonly api?: string;
  readonly org?: string;
  readonly user?: string;
}

/** `dataio import <model> <file>`. */
export interface ImportArgs extends ConnectionArgs {
  readonly model: string;
  readonly file: string;
  readonly dryRun: boolean;
  readonly skipErrors: boolean;
  /** false: rows equal to the stored record are written anyway; undefined: the resource decides. */
  readonly skipUnchanged?: boolean;
  readonly encoding?: string;
  readonly delimiter?: string;
  readonly sheet?: string;
  readonly upload: (typeof UPLOAD_MODES)[number];
  readonly wait: boolean;
  readonly json: boolean;
  /** How many row errors to print at the end. */
  readonly errors: number;
}

/** `dataio export <model>`. */
export interface ExportArgs extends ConnectionArgs {
  readonly model: string;
  readonly format: (typeof EXPORT_FORMATS)[number];
  /** The filter as given: inline JSON or a file name (see loadFilter). */
  readonly filter?: string;
  readonly report?: string;
  readonly fields?: string[];
  readonly ordering?: string[];
  readonly out?: string;
  readonly wait: boolean;
  readonly json: boolean;
}

/** `dataio jobs`. */
export interface JobsArgs extends ConnectionArgs {
  readonly statuses?: Array<(typeof JOB_STATUSES)[number]>;
  readonly types?: Array<(typeof JOB_TYPES)[number]>;
  readonly model?: string;
  readonly limit: number;
  readonly json: boolean;
}

/** `dataio job <id>` and `dataio cancel <id>`. */
export interface JobArgs extends ConnectionArgs {
  readonly id: string;
  readonly json: boolean;
  readonly errors: number;
}

/** `dataio start`. */
export interface StartArgs {
  readonly port?: number;
  readonly dataDir?: string;
}

const CONNECTION: Options = { api: { type: 'string' }, org: { type: 'string' }, user: { type: 'string' } };
const JSON_FLAG: Options = { json: { type: 'boolean' } };

/**
 * `--ordering -price` means the value `-price`, but node's parseArgs refuses a value that starts
 * with a dash unless it is written `--ordering=-price`. Joins such pairs for string options, unless
 * the next word is itself one of the command's options (`--out --wait` stays an error).
 */
export function joinDashValues(args: readonly string[], options: Options): string[] {
  const known = new Set(Object.keys(options).map((name) => `--${name}`));
  const out: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    const next = args[i + 1];
    if (arg === '--') {
      out.push(...args.slice(i));
      break;
    }
    const name = arg.startsWith('--') && !arg.includes('=') ? arg.slice(2) : undefined;
    if (name && options[name]?.type === 'string' && next !== undefined && next.startsWith('-') && !known.has(next.split('=')[0]!)) {
      out.push(`${arg}=${next}`);
      i += 1;
    } else {
      out.push(arg);
    }
  }
  return out;
}

function parse(command: string, args: readonly string[], options: Options, positionals: string[]) {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: joinDashValues(args, options), options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify a positional argument.*$/s, ''), command, { cause: error });
  }
  if (parsed.positionals.length < positionals.length) {
    throw new UsageError(`missing ${positionals.slice(parsed.positionals.length).map((p) => `<${p}>`).join(' ')}`, command);
  }
  if (parsed.positionals.length > positionals.length) {
    throw new UsageError(`unexpected argument '${parsed.positionals[positionals.length]}'`, command);
  }
  return { values: parsed.values as Record<string, string | boolean | string[] | undefined>, positionals: parsed.positionals };
}

function connection(command: string, values: Record<string, unknown>): ConnectionArgs {
  const api = values.api as string | undefined;
  if (api !== undefined && !/^https?:\/\/[^/\s]+/i.test(api)) throw new UsageError(`--api must be an http(s) URL, got '${api}'`, command);
  return { api, org: values.org as string | undefined, user: values.user as string | undefined };
}

function modelName(command: string, value: string): string {
  if (!/^[a-z0-9][a-z0-9_-]*$/i.test(value)) throw new UsageError(`'${value}' is not a model name (e.g. products, contacts)`, command);
  return value;
}

function jobId(command: string, value: string): string {
  if (!/^[a-z0-9_-]+$/i.test(value)) throw new UsageError(`'${value}' is not a job id`, command);
  return value;
}

function oneOf<T extends string>(command: string, flag: string, value: string, choices: readonly T[], normalize: (v: string) => string = (v) => v.toLowerCase()): T {
  const normalized = normalize(value.trim());
  if (!(choices as readonly string[]).includes(normalized)) {
    throw new UsageError(`--${flag} must be one of ${choices.map((c) => c.toLowerCase()).join(', ')}; got '${value}'`, command);
  }
  return normalized as T;
}

function count(command: string, flag: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${flag} must be a whole number from ${min} to ${max}, got '${value}'`, command);
  return n;
}

/** `a,b, c` and repeated flags → ['a', 'b', 'c']. */
export function listOf(value: string | string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = (Array.isArray(value) ? value : [value]).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  return items;
}

/** Parses `import <model> <file> [options]`. */
export function parseImportArgs(args: readonly string[]): ImportArgs {
  const { values, positionals } = parse(
    'import',
    args,
    {
      ...CONNECTION,
      ...JSON_FLAG,
      'dry-run': { type: 'boolean' },
      'skip-errors': { type: 'boolean' },
      'no-skip-unchanged': { type: 'boolean' },
      encoding: { type: 'string' },
      delimiter: { type: 'string' },
      sheet: { type: 'string' },
      upload: { type: 'string' },
      wait: { type: 'boolean', short: 'w' },
      errors: { type: 'string' },
    },
    ['model', 'file'],
  );
  return {
    ...connection('import', values),
    model: modelName('import', positionals[0]!),
    file: positionals[1]!,
    dryRun: values['dry-run'] === true,
    skipErrors: values['skip-errors'] === true,
    ...(values['no-skip-unchanged'] ? { skipUnchanged: false } : {}),
    encoding: values.encoding as string | undefined,
    delimiter: values.delimiter as string | undefined,
    sheet: values.sheet as string | undefined,
    upload: values.upload === undefined ? 'auto' : oneOf('import', 'upload', values.upload as string, UPLOAD_MODES),
    wait: values.wait === true,
    json: values.json === true,
    errors: count('import', 'errors', values.errors as string | undefined, 10, 0, 1000),
  };
}

/** Parses `export <model> [options]`. A report implies PDF; otherwise the format defaults to CSV. */
export function parseExportArgs(args: readonly string[]): ExportArgs {
  const { values, positionals } = parse(
    'export',
    args,
    {
      ...CONNECTION,
      ...JSON_FLAG,
      format: { type: 'string', short: 'f' },
      filter: { type: 'string' },
      report: { type: 'string' },
      fields: { type: 'string', multiple: true },
      ordering: { type: 'string', multiple: true },
      out: { type: 'string', short: 'o' },
      wait: { type: 'boolean', short: 'w' },
    },
    ['model'],
  );
  const report = values.report as string | undefined;
  const format = values.format === undefined ? (report ? 'pdf' : 'csv') : oneOf('export', 'format', values.format as string, EXPORT_FORMATS);
  if (report !== undefined && format !== 'pdf') throw new UsageError(`--report draws a PDF: use it with --format pdf, not ${format}`, 'export');
  const fields = listOf(values.fields as string[] | undefined);
  const ordering = listOf(values.ordering as string[] | undefined);
  const out = values.out as string | undefined;
  return {
    ...connection('export', values),
    model: modelName('export', positionals[0]!),
    format,
    filter: values.filter as string | undefined,
    report,
    fields: fields?.length ? fields : undefined,
    ordering: ordering?.length ? ordering : undefined,
    out,
    // Asking for a file means waiting for it.
    wait: values.wait === true || out !== undefined,
    json: values.json === true,
  };
}

/** Parses `jobs [--status S[,S]] [--type T] [--model M] [--limit N] [--json]`. */
export function parseJobsArgs(args: readonly string[]): JobsArgs {
  const { values } = parse(
    'jobs',
    args,
    { ...CONNECTION, ...JSON_FLAG, status: { type: 'string', multiple: true }, type: { type: 'string', multiple: true }, model: { type: 'string' }, limit: { type: 'string' } },
    [],
  );
  const upper = (v: string) => v.toUpperCase();
  const statuses = listOf(values.status as string[] | undefined)?.map((s) => oneOf('jobs', 'status', s, JOB_STATUSES, upper));
  const types = listOf(values.type as string[] | undefined)?.map((t) => oneOf('jobs', 'type', t, JOB_TYPES, upper));
  return {
    ...connection('jobs', values),
    statuses: statuses?.length ? statuses : undefined,
    types: types?.length ? types : undefined,
    model: values.model === undefined ? undefined : modelName('jobs', values.model as string),
    limit: count('jobs', 'limit', values.limit as string | undefined, 20, 1, 1000),
    json: values.json === true,
  };
}

/** Parses `job <id>` and `cancel <id>`. */
export function parseJobArgs(command: 'job' | 'cancel', args: readonly string[]): JobArgs {
  const { values, positionals } = parse(command, args, { ...CONNECTION, ...JSON_FLAG, errors: { type: 'string' } }, ['job_id']);
  return {
    ...connection(command, values),
    id: jobId(command, positionals[0]!),
    json: values.json === true,
    errors: count(command, 'errors', values.errors as string | undefined, 10, 0, 1000),
  };
}

/** Parses `start [--port N] [--data-dir DIR]`. */
export function parseStartArgs(args: readonly string[]): StartArgs {
  const { values } = parse('start', args, { port: { type: 'string' }, 'data-dir': { type: 'string' } }, []);
  return {
    port: values.port === undefined ? undefined : count('start', 'port', values.port as string, 3000, 0, 65532),
    dataDir: values['data-dir'] as string | undefined,
  };
}

/** Whether the words ask for help rather than for work. */
export function wantsHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/**
 * `--filter` is either the filter's JSON (it starts with `{`) or the name of a file holding it.
 * Only the JSON syntax is checked here: the API checks the filter against the model and names
 * the path of anything wrong in it.
 */
export function loadFilter(value: string, readFile: (path: string) => string): unknown {
  const trimmed = value.trim();
  const inline = trimmed.startsWith('{') || trimmed.startsWith('[');
  let text = trimmed;
  if (!inline) {
    try {
      text = readFile(value);
    } catch (error) {
      throw new UsageError(`--filter is neither JSON nor a readable file: ${(error as Error).message}`, 'export', { cause: error });
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`--filter ${inline ? 'is not' : `file '${value}' does not hold`} valid JSON: ${(error as Error).message}`, 'export', { cause: error });
  }
}
