import { exportSegment } from '../../layers/core/jobs/export-workflow';
import { withTask } from '../shared/task';
import { getTaskDeps } from '../shared/task-deps';
import { segmentInput } from '../shared/task-inputs';

/** Export machine, state ExportSegment (inside the ExportSegments Map). */
export const handler = withTask('export-segment', segmentInput, (input) => exportSegment(getTaskDeps(input), input));
