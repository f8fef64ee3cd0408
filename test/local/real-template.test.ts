/**
 * The local stack runs the synthesized app itself: the definitions the runner executes are the
 * templates' DefinitionStrings, every Task reaches a real handler file, and routing works on the
 * real API resources.
 */
import fs from 'node:fs';
import path from 'node:path';
import { RouteTable } from '../../lib/local/api-routes';
import type { LambdaInvoker } from '../../lib/local/lambda-invoker';
import { buildLocalModel, LocalModel } from '../../lib/local/local-model';
import { bindTasks, LocalStepFunctions } from '../../lib/local/step-functions-local';
import { REPO_ROOT, synthStackTemplates } from '../../lib/local/synth';
import type { StackTemplate } from '../../lib/local/template-resolver';

/** Resolves a DefinitionString independently of TemplateResolver: only the shapes CDK emits. */
function joinDefinition(value: unknown): string {
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (!join) return String(value);
  return join[1]
    .map((part) => {
      if (typeof part === 'string') return part;
      const p = part as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
      if (p.Ref === 'AWS::Partition') return 'aws';
      if (p.Ref === 'AWS::Region') return 'us-east-1';
      if (p.Ref === 'AWS::AccountId') return '000000000000';
      if (p['Fn::GetAtt']?.[1] === 'Arn') return `arn:aws:lambda:us-east-1:000000000000:function:${p['Fn::GetAtt'][0]}`;
      throw new Error(`unexpected part in DefinitionString: ${JSON.stringify(part)}`);
    })
    .join(join[0]);
}

describe('the synthesized app on the local stack', () => {
  let stacks: StackTemplate[];
  let model: LocalModel;

  beforeAll(() => {
    stacks = synthStackTemplates();
    model = buildLocalModel(stacks);
  }, 60_000);

  it('executes exactly the DefinitionStrings of the template', () => {
    const service = stacks.find((s) => s.stackName === 'DataioService')!;
    const machines = Object.entries(service.template.Resources ?? {}).filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine');
    expect(machines.length).toBeGreaterThanOrEqual(2);
    const invoker: LambdaInvoker = { invoke: jest.fn() };
    const runner = new LocalStepFunctions({ stateMachines: model.stateMachines, functions: model.functions, invoker });
    for (const [logicalId, resource] of machines) {
      const executed = runner.stateMachines().find((m) => m.logicalId === logicalId);
      expect(executed?.definition).toEqual(JSON.parse(joinDefinition(resource.Properties?.DefinitionString)));
    }
  });

  it('maps every Task state to a function whose dataio:handler file exists and exports handler', () => {
    for (const machine of model.stateMachines) {
      const tasks = bindTasks(machine.definition, model.functions);
      expect(tasks.length).toBeGreaterThan(0);
      for (const task of tasks) {
        const fn = [...model.functions.values()].find((f) => f.name === task.functionName);
        expect(fn).toBeDefined();
        const file = path.join(REPO_ROOT, fn!.handlerPath);
        expect(fs.existsSync(file)).toBe(true);
        expect(fs.readFileSync(file, 'utf8')).toMatch(/export (async )?(function|const) handler\b/);
      }
    }
  });

  it('gives every API route a handler file, behind the TOKEN authorizer', () => {
    const lambdaRoutes = model.api.routes.filter((r) => r.functionLogicalId);
    expect(lambdaRoutes.length).toBeGreaterThan(0);
    for (const route of lambdaRoutes) {
      const fn = model.functions.get(route.functionLogicalId!);
      expect(fs.existsSync(path.join(REPO_ROOT, fn!.handlerPath))).toBe(true);
      // The OpenAPI document is public on purpose; every other route needs a token.
      expect(route.authorizationType).toBe(route.pathTemplate === '/api/v1/openapi.json' ? 'NONE' : 'CUSTOM');
    }
    expect(fs.existsSync(path.join(REPO_ROOT, model.functions.get(model.api.authorizer!.functionLogicalId)!.handlerPath))).toBe(true);
  });

  describe('routing on the real API', () => {
    const handlerOf = (method: string, urlPath: string): string | undefined => {
      const match = new RouteTable(model.api.routes).match(method, urlPath);
      return match?.route.functionLogicalId && model.functions.get(match.route.functionLogicalId)?.handlerPath;
    };
    const templateOf = (handler: string): string => {
      const route = model.api.routes.find((r) => r.functionLogicalId && model.functions.get(r.functionLogicalId)?.handlerPath === handler);
      if (!route) throw new Error(`no route for ${handler}`);
      return route.pathTemplate;
    };
    const concrete = (template: string): string =>
      template.replace('{model_plural}', 'products').replace('{job_id}', '01jobid');

    it('routes each handler with and without a trailing slash, with path parameters', () => {
      for (const handler of ['lambdas/api/get-job.ts', 'lambdas/api/list-jobs.ts']) {
        const urlPath = concrete(templateOf(handler));
        expect(handlerOf('GET', urlPath)).toBe(handler);
        expect(handlerOf('GET', `${urlPath}/`)).toBe(handler);
      }
      for (const handler of ['lambdas/api/create-import.ts', 'lambdas/api/create-export.ts']) {
        expect(handlerOf('POST', concrete(templateOf(handler)))).toBe(handler);
      }
      const getJob = new RouteTable(model.api.routes).match('GET', concrete(templateOf('lambdas/api/get-job.ts')));
      expect(getJob?.pathParameters).toEqual({ job_id: '01jobid' });
    });

    it('prefers the static data-jobs resource over {model_plural}', () => {
      const listJobs = templateOf('lambdas/api/list-jobs.ts');
      const createExport = templateOf('lambdas/api/create-export.ts');
      // A model called "data-jobs" would collide with the static resource: the static one wins.
      const collision = createExport.replace('{model_plural}', listJobs.split('/').pop()!);
      expect(handlerOf('POST', collision)).not.toBe('lambdas/api/create-export.ts');
      expect(handlerOf('GET', listJobs)).toBe('lambdas/api/list-jobs.ts');
    });

    it('answers nothing for unknown routes', () => {
      expect(handlerOf('GET', '/definitely/not/a/route')).toBeUndefined();
      expect(handlerOf('DELETE', concrete(templateOf('lambdas/api/get-job.ts')))).toBeUndefined();
    });
  });
});
