import { decideImport } from '../../layers/core/jobs/import-workflow';
import { withTask } from '../shared/task';
import { getTaskDeps } from '../shared/task-deps';
import { chunkListInput } from '../shared/task-inputs';

/** Import machine, state Decide: cross-chunk duplicates, commit or not. */
export const handler = withTask('import-decide', chunkListInput, (input) => decideImport(getTaskDeps(input), input));
