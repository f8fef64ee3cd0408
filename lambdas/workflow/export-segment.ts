import { exportSegment } from '../../layers/core/jobs/export-workflow';
import { getDeps } from '../shared/composition';
import { withTask } from '../shared/task';
import { segmentInput } from '../shared/task-inputs';

/** Export machine, state ExportSegment (inside the ExportSegments Map). */
export const handler = withTask('export-segment', segmentInput, (input) => exportSegment(getDeps(), input));
