import { commitImportChunk } from '../../layers/core/jobs/import-workflow';
import { getDeps } from '../shared/composition';
import { withTask } from '../shared/task';
import { chunkInput } from '../shared/task-inputs';

/** Import machine, state CommitChunk (inside the CommitChunks Map). */
export const handler = withTask('import-commit-chunk', chunkInput, (input) => commitImportChunk(getDeps(), input));
