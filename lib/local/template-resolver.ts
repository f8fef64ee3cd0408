/**
 * Resolves CloudFormation intrinsic functions in synthesized templates to the physical ids the
 * embedded local stack uses, so the local stack runs on the very values CloudFormation would
 * have produced (table names, bucket names, ARNs) instead of a hand-maintained copy.
 */

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_PARTITION = 'aws';
export const LOCAL_URL_SUFFIX = 'amazonaws.com';

/** A CloudFormation template as emitted by `cdk synth` (only the parts the local stack reads). */
export interface CfnTemplate {
  readonly Parameters?: Record<string, { readonly Default?: unknown; readonly Type?: string }>;
  readonly Conditions?: Record<string, unknown>;
  readonly Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  readonly Resources?: Record<string, CfnResource>;
  readonly Outputs?: Record<string, { readonly Value: unknown; readonly Export?: { readonly Name: unknown } }>;
}

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly Condition?: string;
  readonly DependsOn?: string | string[];
}

/** One stack of the app: its name is the CloudFormation stack name. */
export interface StackTemplate {
  readonly stackName: string;
  readonly template: CfnTemplate;
}

/** Thrown when a template uses an intrinsic or reference the local stack cannot resolve. */
export class TemplateResolutionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TemplateResolutionError';
  }
}

/** `AWS::NoValue` removes the property or list element that holds it. */
const NO_VALUE = Symbol('AWS::NoValue');

export const lambdaFunctionArn = (name: string): string =>
  `arn:${LOCAL_PARTITION}:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${name}`;

export const stateMachineArn = (name: string): string =>
  `arn:${LOCAL_PARTITION}:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${name}`;

export const secretArn = (name: string): string =>
  `arn:${LOCAL_PARTITION}:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT}:secret:${name}`;

/** The function name inside a Lambda ARN (qualifier, if any, dropped); undefined if not a Lambda ARN. */
export function functionNameFromArn(arn: string): string | undefined {
  const match = /^arn:[^:]+:lambda:[^:]*:[^:]*:function:([^:]+)(:.*)?$/.exec(arn);
  return match?.[1];
}

/**
 * Resolves intrinsics across the stacks of one app. Cross-stack `Fn::ImportValue` is answered from
 * the `Outputs[..].Export` of the other stacks (export names are resolved themselves).
 */
export class TemplateResolver {
  private readonly stacks: Map<string, StackTemplate>;
  private exportsCache?: Map<string, unknown>;

  constructor(stacks: readonly StackTemplate[]) {
    this.stacks = new Map(stacks.map((s) => [s.stackName, s]));
  }

  /** Resolves every intrinsic inside `value`, as seen from `stackName`. */
  resolve(stackName: string, value: unknown): unknown {
    const resolved = this.resolveValue(this.stack(stackName), value, []);
    return resolved === NO_VALUE ? undefined : resolved;
  }

  /** Resolves and asserts a string (an env value, an ARN, a name). */
  resolveString(stackName: string, value: unknown): string {
    const resolved = this.resolve(stackName, value);
    if (typeof resolved === 'string') return resolved;
    if (typeof resolved === 'number' || typeof resolved === 'boolean') return String(resolved);
    throw new TemplateResolutionError(`expected a string in stack ${stackName}, got ${JSON.stringify(resolved)}`);
  }

  /** Every export of the app by its resolved name. */
  exports(): Map<string, unknown> {
    if (!this.exportsCache) {
      const exports = new Map<string, unknown>();
      for (const stack of this.stacks.values()) {
        for (const [outputId, output] of Object.entries(stack.template.Outputs ?? {})) {
          if (!output.Export) continue;
          const name = this.resolveValue(stack, output.Export.Name, [`Outputs.${outputId}`]);
          if (typeof name !== 'string') {
            throw new TemplateResolutionError(`export name of ${stack.stackName}.${outputId} is not a string`);
          }
          exports.set(name, this.resolveValue(stack, output.Value, [`Outputs.${outputId}`]));
        }
      }
      this.exportsCache = exports;
    }
    return this.exportsCache;
  }

  /** The local physical id CloudFormation would return for `Ref` of a resource. */
  physicalId(stackName: string, logicalId: string): string {
    const stack = this.stack(stackName);
    const resource = stack.template.Resources?.[logicalId];
    if (!resource) throw new TemplateResolutionError(`unknown resource ${logicalId} in stack ${stackName}`);
    return this.refOf(stack, logicalId, resource, []);
  }

  private stack(stackName: string): StackTemplate {
    const stack = this.stacks.get(stackName);
    if (!stack) throw new TemplateResolutionError(`unknown stack ${stackName}`);
    return stack;
  }

  private resolveValue(stack: StackTemplate, value: unknown, trail: readonly string[]): unknown {
    if (Array.isArray(value)) {
      return value.map((v) => this.resolveValue(stack, v, trail)).filter((v) => v !== NO_VALUE);
    }
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [key, arg] = entries[0];
      if (key === 'Ref' || key.startsWith('Fn::') || key === 'Condition') {
        return this.resolveIntrinsic(stack, key, arg, trail);
      }
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) {
      const resolved = this.resolveValue(stack, v, trail);
      if (resolved !== NO_VALUE) out[k] = resolved;
    }
    return out;
  }

  private resolveIntrinsic(stack: StackTemplate, fn: string, arg: unknown, trail: readonly string[]): unknown {
    const here = (): string => `${stack.stackName}${trail.length ? ` (${trail.join(' > ')})` : ''}`;
    const recurse = (v: unknown): unknown => this.resolveValue(stack, v, trail);
    switch (fn) {
      case 'Ref':
        return this.ref(stack, String(arg), trail);
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = Array.isArray(arg) ? arg : String(arg).split(/\.(.*)/s);
        return this.getAtt(stack, String(logicalId), String(recurse(attribute)), trail);
      }
      case 'Fn::Join': {
        const [delimiter, parts] = arg as [string, unknown];
        const list = recurse(parts);
        if (!Array.isArray(list)) throw new TemplateResolutionError(`Fn::Join needs a list in ${here()}`);
        return list.map((p) => scalar(p, 'Fn::Join', here())).join(delimiter);
      }
      case 'Fn::Sub':
        return this.sub(stack, arg, trail);
      case 'Fn::Select': {
        const [index, list] = arg as [unknown, unknown];
        const items = recurse(list);
        const i = Number(recurse(index));
        if (!Array.isArray(items) || !(i >= 0 && i < items.length)) {
          throw new TemplateResolutionError(`Fn::Select index ${i} out of range in ${here()}`);
        }
        return items[i];
      }
      case 'Fn::Split': {
        const [delimiter, source] = arg as [string, unknown];
        return scalar(recurse(source), 'Fn::Split', here()).split(delimiter);
      }
      case 'Fn::ImportValue': {
        const name = recurse(arg);
        const exports = this.exports();
        if (typeof name !== 'string' || !exports.has(name)) {
          throw new TemplateResolutionError(`Fn::ImportValue ${JSON.stringify(name)} has no matching export (${here()})`);
        }
        return exports.get(name);
      }
      case 'Fn::GetStackOutput': {
        // Newer CDK cross-stack references read the producing stack's output directly.
        const { StackName, OutputName } = arg as { StackName: unknown; OutputName: unknown };
        const producer = this.stack(scalar(recurse(StackName), 'Fn::GetStackOutput', here()));
        const outputName = scalar(recurse(OutputName), 'Fn::GetStackOutput', here());
        const output = producer.template.Outputs?.[outputName];
        if (!output) throw new TemplateResolutionError(`Fn::GetStackOutput: ${producer.stackName} has no output ${outputName} (${here()})`);
        return this.resolveValue(producer, output.Value, [`Outputs.${outputName}`]);
      }
      case 'Fn::Base64':
        return Buffer.from(scalar(recurse(arg), 'Fn::Base64', here())).toString('base64');
      case 'Fn::FindInMap': {
        const [map, top, second] = (arg as unknown[]).map((v) => scalar(recurse(v), 'Fn::FindInMap', here()));
        const found = stack.template.Mappings?.[map]?.[top]?.[second];
        if (found === undefined) throw new TemplateResolutionError(`Fn::FindInMap ${map}.${top}.${second} missing in ${here()}`);
        return recurse(found);
      }
      case 'Fn::GetAZs':
        return ['a', 'b', 'c'].map((z) => `${LOCAL_REGION}${z}`);
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = arg as [string, unknown, unknown];
        return recurse(this.condition(stack, condition, trail) ? whenTrue : whenFalse);
      }
      case 'Fn::Equals': {
        const [a, b] = arg as [unknown, unknown];
        return JSON.stringify(recurse(a)) === JSON.stringify(recurse(b));
      }
      case 'Fn::Not':
        return !recurse((arg as unknown[])[0]);
      case 'Fn::And':
        return (arg as unknown[]).every((c) => recurse(c) === true);
      case 'Fn::Or':
        return (arg as unknown[]).some((c) => recurse(c) === true);
      case 'Condition':
        return this.condition(stack, String(arg), trail);
      default:
        throw new TemplateResolutionError(`unsupported intrinsic ${fn} in ${here()}`);
    }
  }

  private condition(stack: StackTemplate, name: string, trail: readonly string[]): boolean {
    const definition = stack.template.Conditions?.[name];
    if (definition === undefined) throw new TemplateResolutionError(`unknown condition ${name} in ${stack.stackName}`);
    return this.resolveValue(stack, definition, [...trail, `Conditions.${name}`]) === true;
  }

  private ref(stack: StackTemplate, name: string, trail: readonly string[]): unknown {
    switch (name) {
      case 'AWS::Region':
        return LOCAL_REGION;
      case 'AWS::AccountId':
        return LOCAL_ACCOUNT;
      case 'AWS::Partition':
        return LOCAL_PARTITION;
      case 'AWS::URLSuffix':
        return LOCAL_URL_SUFFIX;
      case 'AWS::StackName':
        return stack.stackName;
      case 'AWS::StackId':
        return `arn:${LOCAL_PARTITION}:cloudformation:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stack/${stack.stackName}/local`;
      case 'AWS::NotificationARNs':
        return [];
      case 'AWS::NoValue':
        return NO_VALUE;
    }
    const parameter = stack.template.Parameters?.[name];
    if (parameter) {
      if (parameter.Default === undefined) {
        throw new TemplateResolutionError(`parameter ${name} of ${stack.stackName} has no default`);
      }
      return parameter.Default;
    }
    const resource = stack.template.Resources?.[name];
    if (!resource) throw new TemplateResolutionError(`Ref to unknown ${name} in ${stack.stackName}`);
    return this.refOf(stack, name, resource, trail);
  }

  /** The explicit name property of a resource, if the template sets one. */
  private explicitName(stack: StackTemplate, resource: CfnResource, property: string, trail: readonly string[]): string | undefined {
    const value = resource.Properties?.[property];
    if (value === undefined) return undefined;
    return scalar(this.resolveValue(stack, value, trail), property, stack.stackName);
  }

  private refOf(stack: StackTemplate, logicalId: string, resource: CfnResource, trail: readonly string[]): string {
    const inner = [...trail, logicalId];
    if (trail.includes(logicalId)) {
      throw new TemplateResolutionError(`circular reference through ${inner.join(' > ')} in ${stack.stackName}`);
    }
    const named = (property: string): string => this.explicitName(stack, resource, property, inner) ?? logicalId;
    switch (resource.Type) {
      case 'AWS::DynamoDB::Table':
      case 'AWS::DynamoDB::GlobalTable':
        return named('TableName');
      case 'AWS::S3::Bucket':
        return this.explicitName(stack, resource, 'BucketName', inner) ?? logicalId.toLowerCase();
      case 'AWS::StepFunctions::StateMachine':
        return stateMachineArn(named('StateMachineName'));
      case 'AWS::Lambda::Function':
        return named('FunctionName');
      case 'AWS::SecretsManager::Secret':
        return secretArn(named('Name'));
      case 'AWS::IAM::Role':
        return named('RoleName');
      case 'AWS::SQS::Queue':
        return `http://sqs.${LOCAL_REGION}.localhost/${LOCAL_ACCOUNT}/${named('QueueName')}`;
      case 'AWS::SNS::Topic':
        return `arn:${LOCAL_PARTITION}:sns:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${named('TopicName')}`;
      case 'AWS::Logs::LogGroup':
        return named('LogGroupName');
      default:
        return logicalId;
    }
  }

  private getAtt(stack: StackTemplate, logicalId: string, attribute: string, trail: readonly string[]): unknown {
    const resource = stack.template.Resources?.[logicalId];
    if (!resource) throw new TemplateResolutionError(`Fn::GetAtt of unknown ${logicalId} in ${stack.stackName}`);
    const ref = this.refOf(stack, logicalId, resource, trail);
    const arn = (service: string, resourcePart: string): string =>
      `arn:${LOCAL_PARTITION}:${service}:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${resourcePart}`;
    switch (`${resource.Type}.${attribute}`) {
      case 'AWS::Lambda::Function.Arn':
        return lambdaFunctionArn(ref);
      case 'AWS::DynamoDB::Table.Arn':
      case 'AWS::DynamoDB::GlobalTable.Arn':
        return arn('dynamodb', `table/${ref}`);
      case 'AWS::DynamoDB::Table.StreamArn':
      case 'AWS::DynamoDB::GlobalTable.StreamArn':
        return arn('dynamodb', `table/${ref}/stream/local`);
      case 'AWS::S3::Bucket.Arn':
        return `arn:${LOCAL_PARTITION}:s3:::${ref}`;
      case 'AWS::S3::Bucket.DomainName':
        return `${ref}.s3.${LOCAL_URL_SUFFIX}`;
      case 'AWS::S3::Bucket.RegionalDomainName':
        return `${ref}.s3.${LOCAL_REGION}.${LOCAL_URL_SUFFIX}`;
      case 'AWS::StepFunctions::StateMachine.Arn':
        return ref;
      case 'AWS::StepFunctions::StateMachine.Name':
        return ref.split(':').pop();
      case 'AWS::SecretsManager::Secret.Id':
        return ref;
      case 'AWS::IAM::Role.Arn':
        return `arn:${LOCAL_PARTITION}:iam::${LOCAL_ACCOUNT}:role/${ref}`;
      case 'AWS::ApiGateway::RestApi.RootResourceId':
        return 'root';
      case 'AWS::SQS::Queue.Arn':
        return arn('sqs', ref.split('/').pop() ?? logicalId);
      case 'AWS::Logs::LogGroup.Arn':
        return arn('logs', `log-group:${ref}:*`);
    }
    if (attribute === 'Arn') {
      // A believable ARN for resource types the local stack does not emulate (alarms, keys, ...).
      const [, service = 'unknown', type = 'resource'] = resource.Type.split('::');
      return arn(service.toLowerCase(), `${type.toLowerCase()}/${ref}`);
    }
    if (attribute === 'Name') return ref;
    throw new TemplateResolutionError(`Fn::GetAtt ${logicalId}.${attribute} (${resource.Type}) is not supported locally`);
  }

  private sub(stack: StackTemplate, arg: unknown, trail: readonly string[]): string {
    const [text, variables] = typeof arg === 'string' ? [arg, {}] : (arg as [string, Record<string, unknown>]);
    const resolvedVariables = new Map(
      Object.entries(variables ?? {}).map(([k, v]) => [k, this.resolveValue(stack, v, trail)]),
    );
    return text.replace(/\$\{([^}]*)\}/g, (whole, expression: string) => {
      if (expression.startsWith('!')) return `\${${expression.slice(1)}}`;
      if (resolvedVariables.has(expression)) return scalar(resolvedVariables.get(expression), 'Fn::Sub', stack.stackName);
      const [logicalId, attribute] = expression.split(/\.(.*)/s);
      const value = attribute
        ? this.getAtt(stack, logicalId, attribute, trail)
        : this.ref(stack, logicalId, trail);
      if (value === NO_VALUE) throw new TemplateResolutionError(`${whole} resolves to AWS::NoValue in ${stack.stackName}`);
      return scalar(value, 'Fn::Sub', stack.stackName);
    });
  }
}

function scalar(value: unknown, context: string, where: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new TemplateResolutionError(`${context} expects strings, got ${JSON.stringify(value)} in ${where}`);
}
