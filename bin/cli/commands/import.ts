import { openAsBlob, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { ImportOptions } from '../api-client';
import type { ImportArgs } from '../args';
import { EXIT, UsageError } from '../errors';
import { exitCodeOf, formatBytes, formatJobSummary } from '../format';
import { progressView, silentView, waitForJob } from '../progress';
import { writeLines, type CommandContext } from './context';

/**
 * Files above this go through a presigned upload: the multipart route takes at most 4 MiB (a
 * base64 body over that overflows the 6 MB Lambda event; docs/api.md).
 */
export const DIRECT_UPLOAD_LIMIT_BYTES = 4 * 1024 * 1024;

/** Which upload route a file takes. */
export function uploadRoute(mode: ImportArgs['upload'], size: number): 'direct' | 'presigned' {
  if (mode !== 'auto') return mode;
  return size > DIRECT_UPLOAD_LIMIT_BYTES ? 'presigned' : 'direct';
}

/**
 * `dataio import <model> <file>`.
 *
 * 1. Check the file exists and choose the route by its size (or `--upload`).
 * 2. Small: one multipart POST. Large: ask for an upload URL for its size, PUT the bytes with the
 *    signed headers, POST `{upload_id}`.
 * 3. Print the job id; with `--wait`, poll with progress, print the summary and the first row
 *    errors, and exit with the job's outcome.
 */
export async function runImport(args: ImportArgs, { io, client }: CommandContext): Promise<number> {
  const path = resolve(io.cwd, args.file);
  let size: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw new Error('not a file');
    size = stat.size;
  } catch (error) {
    throw new UsageError(`cannot read '${args.file}': ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 'import', { cause: error });
  }
  const filename = basename(path);
  const options: ImportOptions = {
    dry_run: args.dryRun || undefined,
    skip_errors: args.skipErrors || undefined,
    skip_unchanged: args.skipUnchanged,
    encoding: args.encoding,
    delimiter: args.delimiter,
    sheet: args.sheet,
  };
  const blob = await openAsBlob(path);
  const route = uploadRoute(args.upload, size);
  let started;
  if (route === 'presigned') {
    if (!args.json) io.stderr.write(`uploading ${filename} (${formatBytes(size)}) to a presigned URL...\n`);
    const ticket = await client.createUpload(args.model, filename, size);
    await client.putUpload(ticket, blob);
    started = await client.importUpload(args.model, ticket.upload_id, options);
  } else {
    started = await client.importFile(args.model, { name: filename, blob }, options);
  }

  if (!args.wait) {
    io.stdout.write(args.json ? `${JSON.stringify(started)}\n` : `${started.job_id}\n`);
    return EXIT.ok;
  }
  if (!args.json) io.stdout.write(`import of ${filename} (${formatBytes(size)}) into ${args.model} started: job ${started.job_id}\n`);
  const job = await waitForJob((id) => client.getJob(id), started.job_id, io, args.json ? silentView : progressView(io.stdout, () => io.now()));
  if (args.json) io.stdout.write(`${JSON.stringify(job, null, 2)}\n`);
  else writeLines(io.stdout, formatJobSummary(job, { errors: args.errors }));
  return exitCodeOf(job);
}
