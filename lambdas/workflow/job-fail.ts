import { failJob } from '../../layers/core/jobs/fail-job';
import { getDeps } from '../shared/composition';
import { withTask } from '../shared/task';
import { failInput } from '../shared/task-inputs';

/** Both machines, states ImportFailed/ExportFailed: the Catch target that marks the job FAILED. */
export const handler = withTask('job-fail', failInput, (input) => failJob(getDeps(), input));
