import { failJob } from '../../layers/core/jobs/fail-job';
import { withTask } from '../shared/task';
import { getTaskDeps } from '../shared/task-deps';
import { failInput } from '../shared/task-inputs';

/** Both machines, states ImportFailed/ExportFailed: the Catch target that marks the job FAILED. */
export const handler = withTask('job-fail', failInput, (input) => failJob(getTaskDeps(input), input));
