import { Template } from 'aws-cdk-lib/assertions';
import { createApp } from '../../lib/app';

/** Templates of both stacks, synthesized once without bundling (no esbuild, no handler code). */
export interface DataioTemplates {
  readonly storage: Template;
  readonly service: Template;
}

export function synthDataio(context: Record<string, unknown> = {}): DataioTemplates {
  const { storage, service } = createApp({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
  return { storage: Template.fromStack(storage), service: Template.fromStack(service) };
}

/** Repo-relative handler path of every Lambda function, by logical id (`dataio:handler` Metadata). */
export function handlersByLogicalId(template: Template): Record<string, string> {
  const functions = template.findResources('AWS::Lambda::Function');
  return Object.fromEntries(
    Object.entries(functions).map(([logicalId, resource]) => [logicalId, resource.Metadata?.['dataio:handler'] as string]),
  );
}

/** The environment variables of the function built from `handler`. */
export function environmentOf(template: Template, handler: string): Record<string, unknown> {
  const matches = Object.values(template.findResources('AWS::Lambda::Function')).filter(
    (resource) => resource.Metadata?.['dataio:handler'] === handler,
  );
  if (matches.length !== 1) throw new Error(`expected one function for ${handler}, found ${matches.length}`);
  return matches[0].Properties.Environment.Variables as Record<string, unknown>;
}

/** The part of the Amazon States Language this project uses. */
export interface AslState {
  readonly Type: string;
  readonly Next?: string;
  readonly End?: boolean;
  readonly Default?: string;
  readonly Choices?: Array<Record<string, unknown>>;
  readonly Resource?: string;
  readonly Parameters?: Record<string, unknown>;
  readonly OutputPath?: string;
  readonly ResultPath?: string | null;
  readonly ItemsPath?: string;
  readonly ItemSelector?: Record<string, unknown>;
  readonly ItemProcessor?: AslMachine & { ProcessorConfig?: { Mode?: string } };
  readonly MaxConcurrency?: number;
  readonly Retry?: Array<{ ErrorEquals: string[]; MaxAttempts?: number; BackoffRate?: number; IntervalSeconds?: number }>;
  readonly Catch?: Array<{ ErrorEquals: string[]; ResultPath?: string; Next: string }>;
  readonly Error?: string;
}

export interface AslMachine {
  readonly StartAt: string;
  readonly States: Record<string, AslState>;
}

/**
 * Parses a synthesized `DefinitionString`: joins `Fn::Join` parts, writing `${Logical.Attr}`
 * for `Fn::GetAtt` and `${Ref}` for `Ref`, the way the local stack substitutes real values.
 */
export function parseDefinition(definitionString: unknown): AslMachine {
  return JSON.parse(renderIntrinsic(definitionString)) as AslMachine;
}

function renderIntrinsic(value: unknown): string {
  if (typeof value === 'string') return value;
  const node = value as Record<string, unknown>;
  if (Array.isArray(node['Fn::Join'])) {
    const [separator, parts] = node['Fn::Join'] as [string, unknown[]];
    return parts.map(renderIntrinsic).join(separator);
  }
  if (Array.isArray(node['Fn::GetAtt'])) return `\${${(node['Fn::GetAtt'] as string[]).join('.')}}`;
  if (typeof node.Ref === 'string') return `\${${node.Ref}}`;
  throw new Error(`unexpected intrinsic in definition: ${JSON.stringify(value)}`);
}

/** Every state of a machine, including those inside Map item processors, by name. */
export function allStates(machine: AslMachine): Record<string, AslState> {
  const states: Record<string, AslState> = {};
  for (const [name, state] of Object.entries(machine.States)) {
    states[name] = state;
    if (state.ItemProcessor) Object.assign(states, allStates(state.ItemProcessor));
  }
  return states;
}
