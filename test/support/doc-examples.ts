/**
 * Runs the shell examples of a Markdown document the way a reader would: every ```sh block whose
 * first line is `# test: run`, in document order, in one bash session (so a variable set by one
 * example is there for the next), and compares what each printed with the fenced ```json or
 * ```text block right after it, when there is one.
 *
 * In an expected block, `…` stands for whatever the API made up (ids, times, URLs): a JSON string
 * that is exactly "…" matches any value, and `…` inside a string or a text line matches any run
 * of characters. Everything else must be equal: objects have the same keys (in any order), arrays
 * the same length. A ```json block may hold several JSON values one after another (e.g. a status
 * code printed by `curl -w` and then the body).
 */
import { spawn } from 'node:child_process';

/** A runnable example and what it should print. */
export interface DocExample {
  /** 1-based line of the example's opening fence. */
  readonly line: number;
  readonly code: string;
  readonly expected?: { readonly lang: 'json' | 'text'; readonly text: string; readonly line: number };
}

/** What one example did. */
export interface ExampleRun {
  /** Whether the example ran to its end (the session stops at the first failing command). */
  readonly finished: boolean;
  readonly stdout: string;
}

/** Everything the bash session did. */
export interface SessionResult {
  readonly runs: ExampleRun[];
  readonly exitCode: number | null;
  readonly stderr: string;
}

const RUN_MARKER = '# test: run';

interface Fence {
  readonly lang: string;
  readonly line: number;
  readonly endLine: number;
  readonly text: string;
}

function fences(markdown: string): Fence[] {
  const lines = markdown.split('\n');
  const found: Fence[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\S*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!.length;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !/^\s*```\s*$/.test(lines[j]!); j++) body.push(lines[j]!.slice(Math.min(indent, lines[j]!.search(/\S|$/))));
    found.push({ lang: open[2]!, line: i + 1, endLine: j + 1, text: body.join('\n') });
    i = j;
  }
  return found;
}

function outputLang(lang: string): 'json' | 'text' | undefined {
  return lang === 'json' || lang === 'text' ? lang : undefined;
}

/** The runnable examples of a Markdown document, each with the output block that follows it. */
export function extractExamples(markdown: string): DocExample[] {
  const lines = markdown.split('\n');
  const all = fences(markdown);
  const examples: DocExample[] = [];
  all.forEach((fence, i) => {
    if (!['sh', 'bash', 'shell'].includes(fence.lang) || fence.text.split('\n')[0]?.trim() !== RUN_MARKER) return;
    const next = all[i + 1];
    const adjacent = next && lines.slice(fence.endLine, next.line - 1).every((l) => l.trim() === '');
    const lang = next && outputLang(next.lang);
    const expected = adjacent && lang ? { lang, text: next.text, line: next.line } : undefined;
    examples.push({ line: fence.line, code: fence.text, ...(expected ? { expected } : {}) });
  });
  return examples;
}

const marker = (kind: 'begin' | 'end', i: number) => `@@doc-example-${kind}-${i}@@`;

/**
 * Runs the examples in one `bash` session with `set -euo pipefail`: the first failing command
 * ends the session, as it would stop a careful reader.
 */
export function runExamples(examples: readonly DocExample[], options: { cwd: string; env: Record<string, string>; timeoutMs: number }): Promise<SessionResult> {
  const script = [
    'set -euo pipefail',
    ...examples.flatMap((example, i) => [`printf '\\n${marker('begin', i)}\\n'`, example.code, `printf '\\n${marker('end', i)}\\n'`]),
  ].join('\n');
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-s'], { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      stderr += `\n[killed after ${options.timeoutMs} ms]`;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      const runs = examples.map((_, i): ExampleRun => {
        const begin = stdout.indexOf(`\n${marker('begin', i)}\n`);
        if (begin === -1) return { finished: false, stdout: '' };
        const from = begin + marker('begin', i).length + 2;
        const end = stdout.indexOf(`\n${marker('end', i)}\n`, from);
        return end === -1 ? { finished: false, stdout: stdout.slice(from) } : { finished: true, stdout: stdout.slice(from, end) };
      });
      resolve({ runs, exitCode, stderr });
    });
    child.stdin.end(`${script}\n`);
  });
}

/** A sequence of JSON values written one after another (pretty-printed or not). */
export function parseJsonSequence(text: string): unknown[] {
  const values: unknown[] = [];
  let pending = '';
  for (const line of text.split('\n')) {
    if (pending === '' && line.trim() === '') continue;
    pending += `${line}\n`;
    try {
      values.push(JSON.parse(pending));
      pending = '';
    } catch {
      // not a whole value yet
    }
  }
  if (pending.trim() !== '') throw new Error(`not JSON: ${pending.trim().slice(0, 200)}`);
  return values;
}

const WILDCARD = '…';

function matchesPattern(pattern: string, actual: string): boolean {
  const regex = pattern.split(WILDCARD).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[\\s\\S]*');
  return new RegExp(`^${regex}$`).test(actual);
}

/** Where `actual` differs from `expected`, as `path: problem` lines; empty when it matches. */
export function compareJson(expected: unknown, actual: unknown, path = '$'): string[] {
  if (expected === WILDCARD) return actual === undefined ? [`${path}: missing`] : [];
  if (typeof expected === 'string' && typeof actual === 'string' && expected.includes(WILDCARD)) {
    return matchesPattern(expected, actual) ? [] : [`${path}: ${JSON.stringify(actual)} does not match ${JSON.stringify(expected)}`];
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${path}: expected an array, got ${JSON.stringify(actual)}`];
    if (actual.length !== expected.length) return [`${path}: expected ${expected.length} items, got ${actual.length}: ${JSON.stringify(actual).slice(0, 300)}`];
    return expected.flatMap((item, i) => compareJson(item, actual[i], `${path}[${i}]`));
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return [`${path}: expected an object, got ${JSON.stringify(actual)}`];
    const e = expected as Record<string, unknown>;
    const a = actual as Record<string, unknown>;
    const missing = Object.keys(e).filter((k) => !(k in a)).map((k) => `${path}.${k}: missing`);
    const extra = Object.keys(a).filter((k) => !(k in e)).map((k) => `${path}.${k}: not in the doc (${JSON.stringify(a[k]).slice(0, 100)})`);
    return [...missing, ...extra, ...Object.keys(e).filter((k) => k in a).flatMap((k) => compareJson(e[k], a[k], `${path}.${k}`))];
  }
  return Object.is(expected, actual) ? [] : [`${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
}

/** Where an example's output differs from its expected block; empty when it matches. */
export function compareOutput(expected: NonNullable<DocExample['expected']>, stdout: string): string[] {
  if (expected.lang === 'json') {
    let actual: unknown[];
    try {
      actual = parseJsonSequence(stdout);
    } catch (error) {
      return [`the output is not JSON (${(error as Error).message})`];
    }
    return compareJson(parseJsonSequence(expected.text), actual);
  }
  const want = expected.text.replace(/\s+$/, '').split('\n');
  const got = stdout.replace(/^\n+/, '').replace(/\s+$/, '').split('\n');
  if (want.length !== got.length) return [`expected ${want.length} lines, got ${got.length}:\n${got.join('\n')}`];
  return want.flatMap((line, i) => (matchesPattern(line, got[i]!) ? [] : [`line ${i + 1}: ${JSON.stringify(got[i])} does not match ${JSON.stringify(line)}`]));
}
