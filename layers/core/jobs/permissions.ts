import { ForbiddenError } from '../errors';

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
