import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ExportBody, Job } from '../api-client';
import { loadFilter, type ExportArgs } from '../args';
import { EXIT } from '../errors';
import { exitCodeOf, formatBytes, formatCount, formatJobSummary } from '../format';
import { progressView, silentView, waitForJob } from '../progress';
import { writeLines, type CommandContext } from './context';

/**
 * Where the downloaded file goes: `--out` as given, inside `--out` when it is a directory, else
 * the API's file name (`products-20261126-110000.csv`) in the current directory.
 */
export function outputPath(out: string | undefined, cwd: string, apiFilename: string): string {
  // The API's name never holds a path, but a download must not be steered out of the folder.
  const name = apiFilename.replace(/[/\\]/g, '_');
  if (out === undefined) return join(cwd, name);
  const target = resolve(cwd, out);
  try {
    if (statSync(target).isDirectory()) return join(target, name);
  } catch {
    // not there yet: a file name
  }
  return target;
}

/**
 * `dataio export <model>`.
 *
 * 1. Build the body from the flags (a `--filter` file is read here; the API checks its content).
 * 2. Start the job and print its id; with `--wait`, poll with progress.
 * 3. When it completes, stream the file from its presigned URL to the output path.
 */
export async function runExport(args: ExportArgs, { io, client }: CommandContext): Promise<number> {
  const body: ExportBody = {
    format: args.format,
    ...(args.filter !== undefined ? { filters: loadFilter(args.filter, (path) => readFileSync(resolve(io.cwd, path), 'utf8')) } : {}),
    ...(args.report ? { report: args.report } : {}),
    ...(args.fields ? { fields: args.fields } : {}),
    ...(args.ordering ? { ordering: args.ordering } : {}),
  };
  const started = await client.createExport(args.model, body);
  if (!args.wait) {
    io.stdout.write(args.json ? `${JSON.stringify(started)}\n` : `${started.job_id}\n`);
    return EXIT.ok;
  }
  if (!args.json) io.stdout.write(`${args.format} export of ${args.model} started: job ${started.job_id}\n`);
  const job = await waitForJob((id) => client.getJob(id), started.job_id, io, args.json ? silentView : progressView(io.stdout, () => io.now()));
  if (job.status !== 'COMPLETED') {
    if (args.json) io.stdout.write(`${JSON.stringify(job, null, 2)}\n`);
    else writeLines(io.stdout, formatJobSummary(job, { errors: 0 }));
    return exitCodeOf(job);
  }
  return download(job, args, { io, client });
}

async function download(job: Job, args: ExportArgs, { io, client }: Pick<CommandContext, 'io' | 'client'>): Promise<number> {
  const file = job.output_file;
  if (!file?.download_url) throw new Error(`job ${job.job_id} COMPLETED without a download URL`);
  const path = outputPath(args.out, io.cwd, file.filename);
  const bytes = await client.download(file.download_url, path);
  const rows = job.result_log?.totals?.rows ?? job.progress?.rows_total;
  const what = `${path} (${formatBytes(bytes)}${rows !== undefined && rows !== null ? `, ${formatCount(rows)} rows` : ''})`;
  if (args.json) {
    io.stdout.write(`${JSON.stringify({ ...job, downloaded_to: path }, null, 2)}\n`);
    io.stderr.write(`wrote ${what}\n`);
  } else {
    io.stdout.write(`wrote ${what}\n`);
  }
  return EXIT.ok;
}
