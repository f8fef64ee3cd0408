import { prepareImport } from '../../layers/core/jobs/import-workflow';
import { withTask } from '../shared/task';
import { getTaskDeps } from '../shared/task-deps';
import { jobInput } from '../shared/task-inputs';

/** Import machine, state Prepare: header, chunk manifest, progress totals. */
export const handler = withTask('import-prepare', jobInput, (input) => prepareImport(getTaskDeps(input), input));
