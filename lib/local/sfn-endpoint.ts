/**
 * An HTTP endpoint speaking the Step Functions AWS JSON 1.0 protocol, so handlers keep using
 * `@aws-sdk/client-sfn` unchanged with `AWS_ENDPOINT_URL_SFN` pointing here.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ExecutionRecord, ExecutionStatus, LocalStepFunctions, StepFunctionsServiceError } from './step-functions-local';

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

type Operation = (body: Record<string, unknown>) => unknown;

/** Starts the endpoint on 127.0.0.1 (`port` 0 picks a free one). */
export async function startSfnEndpoint(sfn: LocalStepFunctions, options: { port?: number; host?: string } = {}): Promise<RunningServer> {
  const operations: Record<string, Operation> = {
    StartExecution: (body) => {
      const record = sfn.startExecution({
        stateMachineArn: String(body.stateMachineArn),
        name: body.name === undefined ? undefined : String(body.name),
        input: body.input === undefined ? undefined : String(body.input),
      });
      return { executionArn: record.executionArn, startDate: epochSeconds(record.startDate) };
    },
    DescribeExecution: (body) => describe(sfn.describeExecution(String(body.executionArn))),
    StopExecution: (body) => {
      const record = sfn.stopExecution(String(body.executionArn), {
        error: body.error as string | undefined,
        cause: body.cause as string | undefined,
      });
      return { stopDate: epochSeconds(record.stopDate ?? new Date()) };
    },
    ListExecutions: (body) => {
      const all = sfn.listExecutions({
        stateMachineArn: body.stateMachineArn as string | undefined,
        statusFilter: body.statusFilter as ExecutionStatus | undefined,
      });
      const start = Number(body.nextToken ?? 0);
      const size = Number(body.maxResults ?? 100) || 100;
      const page = all.slice(start, start + size);
      return {
        executions: page.map((r) => ({
          executionArn: r.executionArn,
          stateMachineArn: r.stateMachineArn,
          name: r.name,
          status: r.status,
          startDate: epochSeconds(r.startDate),
          ...(r.stopDate ? { stopDate: epochSeconds(r.stopDate) } : {}),
        })),
        ...(start + size < all.length ? { nextToken: String(start + size) } : {}),
      };
    },
    ListStateMachines: () => ({
      stateMachines: sfn.stateMachines().map((m) => ({ stateMachineArn: m.arn, name: m.name, type: 'STANDARD', creationDate: 0 })),
    }),
    DescribeStateMachine: (body) => {
      const machine = sfn.stateMachines().find((m) => m.arn === body.stateMachineArn);
      if (!machine) throw new StepFunctionsServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${String(body.stateMachineArn)}'`);
      return {
        stateMachineArn: machine.arn,
        name: machine.name,
        status: 'ACTIVE',
        type: 'STANDARD',
        definition: JSON.stringify(machine.definition),
        roleArn: 'arn:aws:iam::000000000000:role/local',
        creationDate: 0,
      };
    },
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const send = (status: number, payload: unknown, errorType?: string): void => {
        res.writeHead(status, {
          'content-type': 'application/x-amz-json-1.0',
          'x-amzn-requestid': randomUUID(),
          ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
        });
        res.end(JSON.stringify(payload));
      };
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = operations[target.replace(/^AWSStepFunctions\./, '')];
      if (req.method !== 'POST' || !target.startsWith('AWSStepFunctions.') || !operation) {
        send(400, { __type: 'UnknownOperationException', message: `Unsupported operation ${target || '(none)'}` }, 'UnknownOperationException');
        return;
      }
      try {
        const text = Buffer.concat(chunks).toString('utf8');
        send(200, operation(text ? (JSON.parse(text) as Record<string, unknown>) : {}));
      } catch (error) {
        if (error instanceof StepFunctionsServiceError) send(400, { __type: error.type, message: error.message }, error.type);
        else send(500, { __type: 'InternalFailure', message: error instanceof Error ? error.message : String(error) }, 'InternalFailure');
      }
    });
  });
  return listen(server, options.port ?? 0, options.host ?? '127.0.0.1');
}

function describe(record: ExecutionRecord): Record<string, unknown> {
  return {
    executionArn: record.executionArn,
    stateMachineArn: record.stateMachineArn,
    name: record.name,
    status: record.status,
    startDate: epochSeconds(record.startDate),
    input: record.input,
    ...(record.stopDate ? { stopDate: epochSeconds(record.stopDate) } : {}),
    ...(record.output !== undefined ? { output: record.output } : {}),
    ...(record.error !== undefined ? { error: record.error } : {}),
    ...(record.cause !== undefined ? { cause: record.cause } : {}),
  };
}

/** AWS JSON protocols carry timestamps as epoch seconds. */
function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}

/** Listens and returns a handle whose close() also drops keep-alive connections. */
export function listen(server: http.Server, port: number, host: string): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      resolve({
        url: `http://${host}:${address.port}`,
        port: address.port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
