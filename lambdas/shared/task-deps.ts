import type { JobDeps } from '../../layers/core/jobs/deps';
import { scopeToJob } from '../../layers/core/jobs/job-scope';
import type { WorkflowInput } from '../../layers/core/ports';
import { getDeps } from './composition';

/**
 * The dependencies of one workflow task: the container's adapters, confined to the job its input
 * names (that job, its own files, its organization's records), whatever else the input says.
 */
export function getTaskDeps(input: WorkflowInput): JobDeps {
  return scopeToJob(getDeps(), input);
}
