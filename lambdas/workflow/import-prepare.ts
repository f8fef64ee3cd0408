import { prepareImport } from '../../layers/core/jobs/import-workflow';
import { getDeps } from '../shared/composition';
import { withTask } from '../shared/task';
import { jobInput } from '../shared/task-inputs';

/** Import machine, state Prepare: header, chunk manifest, progress totals. */
export const handler = withTask('import-prepare', jobInput, (input) => prepareImport(getDeps(), input));
