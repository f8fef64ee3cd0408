import { commitImportChunk } from '../../layers/core/jobs/import-workflow';
import { withTask } from '../shared/task';
import { getTaskDeps } from '../shared/task-deps';
import { chunkInput } from '../shared/task-inputs';

/** Import machine, state CommitChunk (inside the CommitChunks Map). */
export const handler = withTask('import-commit-chunk', chunkInput, (input) => commitImportChunk(getTaskDeps(input), input));
