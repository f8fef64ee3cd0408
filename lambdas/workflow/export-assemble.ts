import { assembleExport } from '../../layers/core/jobs/export-workflow';
import { getDeps } from '../shared/composition';
import { withTask } from '../shared/task';
import { segmentListInput } from '../shared/task-inputs';

/** Export machine, state Assemble: one output file, job COMPLETED. */
export const handler = withTask('export-assemble', segmentListInput, (input) => assembleExport(getDeps(), input));
