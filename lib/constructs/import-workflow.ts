import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { TableAccess } from './dataio-function';
import { WorkflowDataProps, WorkflowFunction, WorkflowFunctionProps, assertPositiveInteger } from './workflow-function';
import {
  DEFAULT_CHUNK_MAX_CONCURRENCY,
  WorkflowMachineProps,
  acknowledgeWorkflowGrants,
  catchAll,
  chunkTask,
  failureBranch,
  fanOut,
  invokeTask,
  workflowStateMachine,
} from './workflow-states';

export interface ImportWorkflowProps extends WorkflowDataProps, WorkflowMachineProps {}

/**
 * A resource's `beforeImport` (Prepare) and `afterImport` (Finalize) hooks receive the record
 * store: they may read and write records of the job's organization like the import itself.
 */
const HOOK_RECORD_ACCESS: TableAccess = { actions: ['BatchGetItem', 'Query', 'BatchWriteItem', 'DeleteItem'] };

/** The import workflow's task functions, by step. */
export interface ImportWorkflowFunctions {
  readonly prepare: WorkflowFunction;
  readonly validateChunk: WorkflowFunction;
  readonly decide: WorkflowFunction;
  readonly commitChunk: WorkflowFunction;
  readonly finalize: WorkflowFunction;
}

/**
 * Validate-then-commit import of one uploaded file, started with `{org, job_id}`:
 *
 * Prepare → ValidateChunks(ValidateChunk) → Decide → ShouldCommit? → CommitChunks(CommitChunk) → Finalize → Done
 *
 * Decide's `commit` flag skips the commit pass (dry run, or errors with skip_errors=false).
 * Any error lands in ImportFailed, which marks the DataJob failed, then ImportFailedEnd.
 */
export class ImportWorkflow extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly logGroup: logs.LogGroup;
  public readonly functions: ImportWorkflowFunctions;

  constructor(scope: Construct, id: string, props: ImportWorkflowProps) {
    super(scope, id);
    const maxConcurrency = props.chunkMaxConcurrency ?? DEFAULT_CHUNK_MAX_CONCURRENCY;
    assertPositiveInteger('chunkMaxConcurrency', maxConcurrency);

    const fn = (fnId: string, file: string, access: Pick<WorkflowFunctionProps, 'records' | 'files'>) =>
      new WorkflowFunction(this, fnId, { ...props, ...access, entry: `lambdas/workflow/${file}` });
    // Each step gets what it touches: the input (an upload read in place, or a direct upload under
    // imports/), the job's work/ files, the error report next to the input, and records only in
    // the steps that look them up or write them.
    this.functions = {
      prepare: fn('PrepareFunction', 'import-prepare.ts', {
        records: HOOK_RECORD_ACCESS,
        files: { read: ['uploads/*', 'imports/*/*/input/*'], write: ['work/*'], multipart: true },
      }),
      validateChunk: fn('ValidateChunkFunction', 'import-validate-chunk.ts', {
        // Lookups by id and by unique value, both batched reads: validation writes no record.
        records: { actions: ['BatchGetItem'] },
        files: { read: ['work/*'], write: ['work/*'], multipart: true },
      }),
      decide: fn('DecideFunction', 'import-decide.ts', { files: { read: ['work/*'], write: ['work/*'] } }),
      commitChunk: fn('CommitChunkFunction', 'import-commit-chunk.ts', {
        // Batched puts, and a conditional delete of each unique value a record gave up.
        records: { actions: ['BatchWriteItem', 'DeleteItem'] },
        files: { read: ['work/*'] },
      }),
      finalize: fn('FinalizeFunction', 'import-finalize.ts', {
        records: HOOK_RECORD_ACCESS,
        files: { read: ['work/*'], write: ['imports/*/*/errors/*'], multipart: true, deletePrefixes: ['work/'] },
      }),
    };

    const prepare = invokeTask(this, 'Prepare', this.functions.prepare);
    const validateChunks = fanOut(this, 'ValidateChunks', {
      itemsPath: '$.chunks',
      itemField: 'chunk',
      maxConcurrency,
      distributed: true,
      task: chunkTask(this, 'ValidateChunk', this.functions.validateChunk),
    });
    const decide = invokeTask(this, 'Decide', this.functions.decide);
    const commitChunks = fanOut(this, 'CommitChunks', {
      itemsPath: '$.chunks',
      itemField: 'chunk',
      maxConcurrency,
      distributed: true,
      task: chunkTask(this, 'CommitChunk', this.functions.commitChunk),
    });
    const finalize = invokeTask(this, 'Finalize', this.functions.finalize);
    finalize.next(new sfn.Succeed(this, 'Done'));

    catchAll(failureBranch(this, 'Import', props.jobFailFunction), prepare, validateChunks, decide, commitChunks, finalize);

    const definition = prepare
      .next(validateChunks)
      .next(decide)
      .next(
        new sfn.Choice(this, 'ShouldCommit')
          .when(sfn.Condition.booleanEquals('$.commit', true), commitChunks.next(finalize))
          .otherwise(finalize),
      );

    ({ stateMachine: this.stateMachine, logGroup: this.logGroup } = workflowStateMachine(this, definition, {
      ...props,
      kind: 'import',
    }));
    acknowledgeWorkflowGrants(this.stateMachine, [...Object.values(this.functions), props.jobFailFunction], true);
  }
}
