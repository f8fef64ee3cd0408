import * as cdk from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { createApp } from '../../lib/app';

/** Both stacks, synthesized without bundling (like the other CDK tests), then checked by cdk-nag. */
function checkedApp(context: Record<string, unknown> = {}) {
  const { app } = createApp({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
  // Acknowledgements of cross-stack resources are computed once references are resolved: synth first.
  app.synth();
  return { app, report: new AwsSolutionsChecks().validateScope(app) };
}

/** Every acknowledgement recorded in the tree: rule id, reason, and the construct it sits on. */
function acknowledgements(root: IConstruct): Array<{ id: string; reason: string; path: string }> {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      // CDK files an acknowledgement under its `Annotation::` namespace; cdk-nag matches without it.
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({ id: id.replace(/^annotation::/i, ''), reason, path: construct.node.path }))),
  );
}

describe('cdk-nag AwsSolutions checks', () => {
  let app: cdk.App;
  let report: ReturnType<AwsSolutionsChecks['validateScope']>;

  beforeAll(() => {
    ({ app, report } = checkedApp());
  });

  it('find no unacknowledged error or warning in either stack', () => {
    const findings = report.violations.map((v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
    expect(findings).toEqual([]);
  });

  it('give every acknowledgement a specific reason', () => {
    const acks = acknowledgements(app).filter((ack) => ack.id.startsWith('AwsSolutions-'));
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect({ ...ack, specific: ack.reason.trim().length >= 60 }).toMatchObject({ specific: true });
    }
  });

  it('acknowledge a wildcard object resource only under a purpose prefix, named in the reason', () => {
    const wildcards = acknowledgements(app).filter((ack) => ack.id.startsWith('AwsSolutions-IAM5[Resource::') && ack.id.includes('FilesBucket'));
    expect(wildcards.length).toBeGreaterThan(0);
    for (const ack of wildcards) {
      const pattern = /FilesBucket[^\]]*?\}\}\/([a-z-]+\/[^\]]*)\]$/.exec(ack.id)?.[1];
      expect({ id: ack.id, pattern }).toMatchObject({ pattern: expect.stringMatching(/^(uploads|imports|work|exports)\//) });
      expect(ack.reason).toContain(pattern);
    }
    // Never the whole bucket.
    expect(wildcards.map((ack) => ack.id).filter((id) => /\}\}\/\*\]$/.test(id))).toEqual([]);
  });

  it('acknowledge Resource "*" only on roles whose sole such statement is X-Ray or log delivery', () => {
    const star = acknowledgements(app).filter((ack) => ack.id === 'AwsSolutions-IAM5[Resource::*]');
    for (const ack of star) expect(ack.reason).toMatch(/X-Ray/);
    const service = app.node.findChild('DataioService') as cdk.Stack;
    const policies = service.node.findAll().filter((c): c is iam.CfnPolicy => c instanceof iam.CfnPolicy);
    for (const policy of policies) {
      const document = service.resolve(policy.policyDocument) as { Statement: Array<{ Action: string | string[]; Resource: unknown }> };
      for (const statement of document.Statement.filter((s) => ([] as unknown[]).concat(s.Resource).includes('*'))) {
        const actions = ([] as string[]).concat(statement.Action);
        expect({ policy: policy.node.path, actions, allowed: actions.every((a) => /^(xray|logs):/.test(a)) }).toMatchObject({ allowed: true });
      }
    }
  });

  it('report a broad grant that nobody acknowledged (the checks do run)', () => {
    const probe = new cdk.App();
    const stack = new cdk.Stack(probe, 'Probe');
    const bucket = new s3.Bucket(stack, 'Bucket', { enforceSSL: true });
    bucket.grantReadWrite(new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }));
    probe.synth();

    const rules = new AwsSolutionsChecks().validateScope(probe).violations.map((v) => v.ruleName);

    expect(rules).toEqual(expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-IAM5[Action::s3:GetObject*]']));
  });

  it('fail `cdk synth -c dataio:nag=true` on a finding, and pass it on the stacks as they are', () => {
    const { app: flagged } = createApp({ context: { 'aws:cdk:bundling-stacks': [], 'dataio:nag': 'true' } });
    expect(() => flagged.synth()).not.toThrow();

    const { app: broken, storage } = createApp({ context: { 'aws:cdk:bundling-stacks': [], 'dataio:nag': true } });
    new s3.Bucket(storage, 'UnloggedBucket', { enforceSSL: true });
    const printed: string[] = [];
    const error = jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void printed.push(args.join(' ')));
    try {
      let thrown: unknown;
      try {
        broken.synth();
      } catch (caught) {
        thrown = caught;
      }
      // Under jest the report is the error's message; a CLI run prints it, then throws.
      expect(thrown).toBeInstanceOf(Error);
      expect(`${(thrown as Error).message}\n${printed.join('\n')}`).toMatch(/UnloggedBucket[\s\S]*AwsSolutions-S1/);
    } finally {
      error.mockRestore();
    }
  });
});
