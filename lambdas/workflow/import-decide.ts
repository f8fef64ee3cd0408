import { decideImport } from '../../layers/core/jobs/import-workflow';
import { getDeps } from '../shared/composition';
import { withTask } from '../shared/task';
import { chunkListInput } from '../shared/task-inputs';

/** Import machine, state Decide: cross-chunk duplicates, commit or not. */
export const handler = withTask('import-decide', chunkListInput, (input) => decideImport(getDeps(), input));
