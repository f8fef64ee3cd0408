import { assembleExport } from '../../layers/core/jobs/export-workflow';
import { withTask } from '../shared/task';
import { getTaskDeps } from '../shared/task-deps';
import { segmentListInput } from '../shared/task-inputs';

/** Export machine, state Assemble: one output file, job COMPLETED. */
export const handler = withTask('export-assemble', segmentListInput, (input) => assembleExport(getTaskDeps(input), input));
