import { planExport } from '../../layers/core/jobs/export-workflow';
import { getDeps } from '../shared/composition';
import { withTask } from '../shared/task';
import { jobInput } from '../shared/task-inputs';

/** Export machine, state Plan: how many parallel segments. */
export const handler = withTask('export-plan', jobInput, (input) => planExport(getDeps(), input));
