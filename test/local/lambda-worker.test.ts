import path from 'node:path';
import { createLambdaInvoker, LambdaFunctionError, type InvocationReport, type LambdaInvoker } from '../../lib/local/lambda-invoker';
import type { LocalFunction } from '../../lib/local/local-model';

jest.setTimeout(60_000);

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const probe = (timeoutSeconds = 10): LocalFunction => ({
  logicalId: 'ProbeFn',
  stackName: 'Test',
  name: 'probe-fn',
  arn: 'arn:aws:lambda:us-east-1:000000000000:function:probe-fn',
  handlerPath: 'test/local/fixtures/handlers/worker-probe.ts',
  env: {},
  timeoutSeconds,
  memorySize: 256,
});

describe('createLambdaInvoker with process isolation', () => {
  let invoker: LambdaInvoker;
  const reports: InvocationReport[] = [];

  const start = (fn: LocalFunction) => {
    invoker = createLambdaInvoker({ functions: new Map([[fn.logicalId, fn]]), repoRoot: REPO_ROOT, isolation: 'process', onReport: (r) => reports.push(r) });
  };

  beforeEach(() => {
    reports.length = 0;
    process.env.PROBE_ENV = 'from the stack';
  });
  afterEach(async () => {
    await invoker?.close?.();
    delete process.env.PROBE_ENV;
  });

  it('runs the handler in another process, reuses it while warm and starts one per concurrent invocation', async () => {
    start(probe());

    const first = (await invoker.invoke('ProbeFn', { op: 'where', when: new Date('2026-01-02T03:04:05Z') })) as Record<string, unknown>;
    const second = (await invoker.invoke('ProbeFn', { op: 'where' })) as Record<string, unknown>;
    const together = (await Promise.all([invoker.invoke('ProbeFn', { op: 'sleep', ms: 300 }), invoker.invoke('ProbeFn', { op: 'sleep', ms: 300 })])) as Array<{ pid: number }>;

    expect(first).toEqual({ pid: expect.any(Number), functionName: 'probe-fn', memoryLimitInMB: '256', remaining: true, env: 'from the stack', when: '2026-01-02T03:04:05.000Z' });
    expect(first.pid).not.toBe(process.pid);
    expect(second.pid).toBe(first.pid);
    expect(new Set(together.map((r) => r.pid)).size).toBe(2);
    expect(reports.map((r) => r.coldStart)).toEqual([true, false, expect.any(Boolean), expect.any(Boolean)]);
    expect(reports.filter((r) => r.coldStart)).toHaveLength(2);
    expect(reports[0]).toMatchObject({ functionLogicalId: 'ProbeFn', handlerPath: 'test/local/fixtures/handlers/worker-probe.ts', memorySize: 256, ok: true });
    for (const r of reports) {
      expect(r.maxRssKb).toBeGreaterThan(0);
      expect(r.peakHeapUsed).toBeGreaterThan(0);
      expect(r.durationMs).toBeGreaterThanOrEqual(0);
    }
  });

  it('reports a thrown error with its type and message, and keeps the process', async () => {
    start(probe());
    const before = (await invoker.invoke('ProbeFn', { op: 'where' })) as { pid: number };

    const error = await invoker.invoke('ProbeFn', { op: 'throw' }).catch((e: unknown) => e);
    const after = (await invoker.invoke('ProbeFn', { op: 'where' })) as { pid: number };

    expect(error).toBeInstanceOf(LambdaFunctionError);
    expect(error).toMatchObject({ errorType: 'ProbeError', errorMessage: 'the probe failed on purpose' });
    expect(after.pid).toBe(before.pid);
    expect(reports.map((r) => r.ok)).toEqual([true, false, true]);
  });

  it('ends the process of a timed-out invocation, as Lambda ends the environment', async () => {
    start(probe(1));
    const before = (await invoker.invoke('ProbeFn', { op: 'where' })) as { pid: number };

    const error = await invoker.invoke('ProbeFn', { op: 'sleep', ms: 5000 }).catch((e: unknown) => e);
    const after = (await invoker.invoke('ProbeFn', { op: 'where' })) as { pid: number };

    expect(error).toMatchObject({ errorType: 'Sandbox.Timedout' });
    expect(after.pid).not.toBe(before.pid);
  });

  it('turns a process that exits mid-invocation into Runtime.ExitError and starts a new one', async () => {
    start(probe());

    const error = await invoker.invoke('ProbeFn', { op: 'exit' }).catch((e: unknown) => e);
    const after = (await invoker.invoke('ProbeFn', { op: 'where' })) as { pid: number };

    expect(error).toMatchObject({ errorType: 'Runtime.ExitError', errorMessage: expect.stringContaining('exit code 3') });
    expect(after.pid).toEqual(expect.any(Number));
  });
});
