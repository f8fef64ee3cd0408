import { ForbiddenError } from '../errors';
import type { DataJob } from './data-job';

/** The actions a caller can be allowed, per model or on jobs. */
export type Permission = `${string}:import` | `${string}:export` | 'data-jobs:read' | 'data-jobs:admin';

/**
 * Whether `perms` grant `required`. `*` grants everything and `<scope>:*` every action of a scope
 * (`products:*`); anything else must match exactly.
 */
export function hasPermission(perms: readonly string[], required: Permission): boolean {
  const scope = required.slice(0, required.indexOf(':'));
  return perms.some((p) => p === '*' || p === required || p === `${scope}:*`);
}

/** Throws `ForbiddenError` unless `perms` grant `required`. */
export function requirePermission(perms: readonly string[], required: Permission): void {
  if (!hasPermission(perms, required)) throw new ForbiddenError(`missing permission '${required}'`);
}

/** Whether the caller may see every job of the organization rather than only their own. */
export function canReadAllJobs(perms: readonly string[]): boolean {
  return hasPermission(perms, 'data-jobs:admin');
}

/** Which jobs of their organization a caller may read and cancel: every one, or their own. */
export type JobAccess = 'all' | 'own';

/**
 * The caller's access to jobs: `data-jobs:admin` gives every job of the organization (and implies
 * `data-jobs:read`), `data-jobs:read` the caller's own jobs.
 * @throws ForbiddenError naming `data-jobs:read` when the caller has neither
 */
export function requireJobAccess(perms: readonly string[]): JobAccess {
  if (canReadAllJobs(perms)) return 'all';
  requirePermission(perms, 'data-jobs:read');
  return 'own';
}

/** Whether a caller may see `job`: one of their organization's, and their own unless they have access to all. */
export function canSeeJob(caller: { readonly org: string; readonly user: string }, access: JobAccess, job: Pick<DataJob, 'organization' | 'user'>): boolean {
  return job.organization === caller.org && (access === 'all' || job.user === caller.user);
}

/**
 * The permission a caller needs to download a job's files (an export's output, an import's error
 * report): the one that could have produced them, since the files hold the model's data.
 */
export function filePermissionOf(job: Pick<DataJob, 'job_type' | 'model'>): Permission {
  return job.job_type === 'EXPORT' ? `${job.model}:export` : `${job.model}:import`;
}
