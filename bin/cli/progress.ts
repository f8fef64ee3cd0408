import type { Job } from './api-client';
import { ApiError, ConnectionError } from './errors';
import { formatProgressBar, formatProgressLine, FINAL_STATUSES } from './format';
import type { CliIo, Output } from './io';

/** Shows a job's progress while it runs. */
export interface ProgressView {
  update(job: Job): void;
  /** The job is final (or the wait stopped): leave the output clean for what follows. */
  done(job?: Job): void;
}

/**
 * A terminal gets one line redrawn in place (`\r` + erase line); a pipe or a log gets a plain
 * line each time the status or the counters change, so a CI log shows progress without noise.
 */
export function progressView(out: Output, now: () => number): ProgressView {
  const started = now();
  if (out.isTTY) {
    let tick = 0;
    let drawn = false;
    return {
      update(job) {
        out.write(`\r\x1b[2K${formatProgressBar(job, now() - started, out.columns && out.columns >= 20 ? out.columns : 80, tick++)}`);
        drawn = true;
      },
      done(job) {
        if (job) this.update(job);
        if (drawn) out.write('\n');
        drawn = false;
      },
    };
  }
  let last = '';
  return {
    update(job) {
      const line = formatProgressLine(job, now() - started);
      const key = line.replace(/^\[[^\]]*\]\s*/, '');
      if (key === last) return;
      last = key;
      out.write(`${line}\n`);
    },
    done(job) {
      if (job) this.update(job);
    },
  };
}

/** A view that shows nothing (`--json`). */
export const silentView: ProgressView = { update: () => undefined, done: () => undefined };

/** Why a wait ended early. */
export class InterruptedError extends Error {
  constructor(readonly jobId: string) {
    super(`stopped waiting for job ${jobId}; it keeps running`);
    this.name = 'InterruptedError';
  }
}

/** Poll fast at first (local and small jobs end in seconds), then calmly. */
export function pollInterval(elapsedMs: number): number {
  return elapsedMs < 10_000 ? 500 : elapsedMs < 120_000 ? 1000 : 2000;
}

const MAX_CONSECUTIVE_FAILURES = 5;

/** A failed poll worth retrying: the network, throttling or a 5xx, not a 4xx. */
function transient(error: unknown): boolean {
  return error instanceof ConnectionError || (error instanceof ApiError && (error.status === 429 || error.status >= 500));
}

/**
 * Polls `GET /data-jobs/{id}/` until the job is final, showing each answer. Rides out a few
 * failed polls in a row (a long import outlives network blips); Ctrl-C stops the wait, not the
 * job, and rejects with InterruptedError.
 */
export async function waitForJob(getJob: (id: string) => Promise<Job>, jobId: string, io: CliIo, view: ProgressView): Promise<Job> {
  const started = io.now();
  let interrupt!: () => void;
  const interrupted = new Promise<never>((_, reject) => (interrupt = () => reject(new InterruptedError(jobId))));
  interrupted.catch(() => undefined);
  const unsubscribe = io.onInterrupt(() => interrupt());
  let failures = 0;
  try {
    for (;;) {
      let job: Job | undefined;
      try {
        job = await Promise.race([getJob(jobId), interrupted]);
        failures = 0;
      } catch (error) {
        if (error instanceof InterruptedError || !transient(error) || ++failures > MAX_CONSECUTIVE_FAILURES) throw error;
      }
      if (job) {
        view.update(job);
        if (FINAL_STATUSES.includes(job.status)) {
          view.done();
          return job;
        }
      }
      await Promise.race([io.sleep(failures > 0 ? 1000 * 2 ** (failures - 1) : pollInterval(io.now() - started)), interrupted]);
    }
  } catch (error) {
    view.done();
    throw error;
  } finally {
    unsubscribe();
  }
}
