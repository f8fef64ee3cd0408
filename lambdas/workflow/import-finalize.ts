import { finalizeImport } from '../../layers/core/jobs/import-workflow';
import { getDeps } from '../shared/composition';
import { withTask } from '../shared/task';
import { chunkListInput } from '../shared/task-inputs';

/** Import machine, state Finalize: totals, row errors, final status. */
export const handler = withTask('import-finalize', chunkListInput.partial({ chunks: true }), (input) => finalizeImport(getDeps(), input));
