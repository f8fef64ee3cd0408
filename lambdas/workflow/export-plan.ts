import { planExport } from '../../layers/core/jobs/export-workflow';
import { withTask } from '../shared/task';
import { getTaskDeps } from '../shared/task-deps';
import { jobInput } from '../shared/task-inputs';

/** Export machine, state Plan: how many parallel segments. */
export const handler = withTask('export-plan', jobInput, (input) => planExport(getTaskDeps(input), input));
