import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { DEFAULT_JOB_SETTINGS } from '../../layers/core/jobs/deps';
import { PDF_FONT_FILES } from '../../lambdas/shared/fonts';
import { TableAccess } from './dataio-function';
import { WorkflowDataProps, WorkflowFunction, assertPositiveInteger } from './workflow-function';
import {
  DEFAULT_MAP_MAX_CONCURRENCY,
  WorkflowMachineProps,
  acknowledgeWorkflowGrants,
  catchAll,
  chunkTask,
  failureBranch,
  fanOut,
  invokeTask,
  workflowStateMachine,
} from './workflow-states';

export interface ExportWorkflowProps extends WorkflowDataProps, WorkflowMachineProps {
  /**
   * A PDF export fails with `report_too_large` past this many pages, which bounds the Assemble
   * function's time and memory (finished pages are kept as compressed bytes until the file is written).
   * @default 5000
   */
  readonly pdfMaxPages?: number;
}

/** The export workflow's task functions, by step. */
export interface ExportWorkflowFunctions {
  readonly plan: WorkflowFunction;
  readonly exportSegment: WorkflowFunction;
  readonly assemble: WorkflowFunction;
}

/**
 * Export of a filtered model subset, started with `{org, job_id}`:
 *
 * Plan → ExportSegments(ExportSegment) → Assemble → ExportDone
 *
 * Segments write parts to S3; Assemble joins them (S3 multipart) and finalizes the DataJob.
 * Any error lands in ExportFailed, which marks the DataJob failed, then ExportFailedEnd.
 */
export class ExportWorkflow extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly logGroup: logs.LogGroup;
  public readonly functions: ExportWorkflowFunctions;

  constructor(scope: Construct, id: string, props: ExportWorkflowProps) {
    super(scope, id);
    const maxConcurrency = props.maxConcurrency ?? DEFAULT_MAP_MAX_CONCURRENCY;
    assertPositiveInteger('maxConcurrency', maxConcurrency);

    // Export tasks only read records: a segment scans its shards (and a resource looks up related
    // records by id); Plan only sets the job's totals.
    const reads: TableAccess = { actions: ['Query', 'BatchGetItem'] };
    this.functions = {
      plan: new WorkflowFunction(this, 'PlanFunction', { ...props, entry: 'lambdas/workflow/export-plan.ts' }),
      // Writes its part (and the sorted runs it spills) under work/, reads nothing back.
      exportSegment: new WorkflowFunction(this, 'ExportSegmentFunction', {
        ...props,
        entry: 'lambdas/workflow/export-segment.ts',
        records: reads,
        files: { write: ['work/*'], multipart: true },
      }),
      // Assemble draws PDFs (about 270 MB peak at 50,000 rows, docs/reports.md): more memory, the fonts.
      // It merges the parts (writing merge passes under work/), writes the output, removes work/.
      assemble: new WorkflowFunction(this, 'AssembleFunction', {
        ...props,
        entry: 'lambdas/workflow/export-assemble.ts',
        records: reads,
        files: { read: ['work/*'], write: ['work/*', 'exports/*'], multipart: true, deletePrefixes: ['work/'] },
        memorySize: 1536,
        bundledFiles: Object.values(PDF_FONT_FILES),
        pdfMaxPages: props.pdfMaxPages ?? DEFAULT_JOB_SETTINGS.pdfMaxPages,
      }),
    };

    const plan = invokeTask(this, 'Plan', this.functions.plan);
    const exportSegments = fanOut(this, 'ExportSegments', {
      itemsPath: '$.segments',
      itemField: 'segment',
      maxConcurrency,
      task: chunkTask(this, 'ExportSegment', this.functions.exportSegment),
    });
    const assemble = invokeTask(this, 'Assemble', this.functions.assemble);

    catchAll(failureBranch(this, 'Export', props.jobFailFunction), plan, exportSegments, assemble);

    const definition = plan.next(exportSegments).next(assemble).next(new sfn.Succeed(this, 'ExportDone'));

    ({ stateMachine: this.stateMachine, logGroup: this.logGroup } = workflowStateMachine(this, definition, {
      ...props,
      kind: 'export',
    }));
    acknowledgeWorkflowGrants(this.stateMachine, [...Object.values(this.functions), props.jobFailFunction], false);
  }
}
