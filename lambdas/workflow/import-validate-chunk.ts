import { validateImportChunk } from '../../layers/core/jobs/import-workflow';
import { withTask } from '../shared/task';
import { getTaskDeps } from '../shared/task-deps';
import { chunkInput } from '../shared/task-inputs';

/** Import machine, state ValidateChunk (inside the ValidateChunks Map). */
export const handler = withTask('import-validate-chunk', chunkInput, (input) => validateImportChunk(getTaskDeps(input), input));
