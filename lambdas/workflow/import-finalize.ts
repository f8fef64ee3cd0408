import { finalizeImport } from '../../layers/core/jobs/import-workflow';
import { withTask } from '../shared/task';
import { getTaskDeps } from '../shared/task-deps';
import { chunkListInput } from '../shared/task-inputs';

/** Import machine, state Finalize: totals, row errors, final status. */
export const handler = withTask('import-finalize', chunkListInput.partial({ chunks: true }), (input) => finalizeImport(getTaskDeps(input), input));
