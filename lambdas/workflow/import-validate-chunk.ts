import { validateImportChunk } from '../../layers/core/jobs/import-workflow';
import { getDeps } from '../shared/composition';
import { withTask } from '../shared/task';
import { chunkInput } from '../shared/task-inputs';

/** Import machine, state ValidateChunk (inside the ValidateChunks Map). */
export const handler = withTask('import-validate-chunk', chunkInput, (input) => validateImportChunk(getDeps(), input));
