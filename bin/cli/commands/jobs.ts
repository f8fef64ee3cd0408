import type { Job } from '../api-client';
import type { JobArgs, JobsArgs } from '../args';
import { EXIT } from '../errors';
import { formatJobsTable, formatJobSummary } from '../format';
import { writeLines, type CommandContext } from './context';

/** Pages read at most when filtering, so a filter that matches nothing still ends. */
const MAX_PAGES = 100;

/** Whether a job passes `--status`, `--type` and `--model`. */
export function matchesJobFilter(job: Job, args: Pick<JobsArgs, 'statuses' | 'types' | 'model'>): boolean {
  return (
    (!args.statuses || (args.statuses as readonly string[]).includes(job.status)) &&
    (!args.types || (args.types as readonly string[]).includes(job.job_type)) &&
    (!args.model || job.model === args.model)
  );
}

/**
 * `dataio jobs`: pages through `GET /data-jobs/` (newest first) and keeps the jobs that pass the
 * filters, which the CLI applies because the list endpoint takes only `limit` and `cursor`.
 */
export async function runJobs(args: JobsArgs, { io, client }: CommandContext): Promise<number> {
  const filtered = args.statuses !== undefined || args.types !== undefined || args.model !== undefined;
  const jobs: Job[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES && jobs.length < args.limit; page += 1) {
    const answer = await client.listJobs({ limit: filtered ? 100 : Math.min(100, args.limit - jobs.length), cursor });
    jobs.push(...answer.items.filter((job) => matchesJobFilter(job, args)));
    cursor = answer.next_cursor ?? undefined;
    if (!cursor) break;
  }
  const shown = jobs.slice(0, args.limit);
  if (args.json) io.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
  else if (shown.length === 0) io.stdout.write(filtered ? 'no jobs match\n' : 'no jobs yet\n');
  else writeLines(io.stdout, formatJobsTable(shown));
  return EXIT.ok;
}

/** `dataio job <id>`: the job as JSON or as a summary. */
export async function runJob(args: JobArgs, { io, client }: CommandContext): Promise<number> {
  const job = await client.getJob(args.id);
  if (args.json) io.stdout.write(`${JSON.stringify(job, null, 2)}\n`);
  else writeLines(io.stdout, formatJobSummary(job, { errors: args.errors }));
  return EXIT.ok;
}

/** `dataio cancel <id>`: cancels and shows the job as it now is. */
export async function runCancel(args: JobArgs, { io, client }: CommandContext): Promise<number> {
  const job = await client.cancelJob(args.id);
  if (args.json) io.stdout.write(`${JSON.stringify(job, null, 2)}\n`);
  else io.stdout.write(`job ${job.job_id} (${job.job_type.toLowerCase()} ${job.model}) is ${job.status}\n`);
  return EXIT.ok;
}
