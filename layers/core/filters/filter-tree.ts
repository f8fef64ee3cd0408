import { z } from 'zod';
import { ValidationError } from '../errors';
import { parseValue } from '../model/codecs';
import type { ModelRegistry } from '../model/define-model';
import type { FieldDefinition, FieldType, FieldValue, JsonValue, ModelDefinition } from '../model/types';

/** Every operator of the filter language. */
export const FILTER_OPERATORS = [
  'eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'between', 'in', 'not_in',
  'contains', 'icontains', 'startswith', 'istartswith', 'endswith', 'isnull',
  'any', 'all', 'none',
] as const;

/** An operator of the filter language. */
export type FilterOperator = (typeof FILTER_OPERATORS)[number];

/** Bounds on one filter, so a request cannot make the parser or an export do unbounded work. */
export interface FilterLimits {
  /** Levels of `and`/`or`/`not` (and top-level arrays) nested in each other. @default 10 */
  readonly maxDepth: number;
  /** Conditions in the whole filter. @default 200 */
  readonly maxConditions: number;
  /** Values in one list (`in`, `not_in`, `any`, `all`, `none`). @default 1000 */
  readonly maxValues: number;
}

/** The default `FilterLimits`. */
export const FILTER_LIMITS: FilterLimits = { maxDepth: 10, maxConditions: 200, maxValues: 1000 };

/** Relations a field path may follow (`category.parent.code` follows two). */
export const MAX_TRAVERSAL_HOPS = 2;

/** The value of a parsed condition, by operator. */
export type ConditionValue =
  | FieldValue // eq, ne, lt, lte, gt, gte: one canonical non-null value
  | readonly [FieldValue, FieldValue] // between
  | readonly FieldValue[] // in, not_in (may hold null), any/all/none (ids)
  | string // contains, icontains, startswith, istartswith, endswith
  | boolean; // isnull

/**
 * A condition on `id` or one field of the node's model. `eq`/`ne` with `null` are parsed as
 * `isnull`; `contains` on a many-to-many field as `any` of one id.
 */
export interface ConditionNode {
  readonly kind: 'condition';
  /** `'id'` or a field name (a foreign key by its own name, never `<fk>_id`). */
  readonly field: string;
  /** The field's type; `'string'` for `id`. */
  readonly type: FieldType;
  readonly op: FilterOperator;
  readonly value: ConditionValue;
}

/**
 * A condition on related records, reached through the foreign key or many-to-many field
 * `relation`. With `quantifier` `any` it holds when some related record passes `tests[0]`; `all`:
 * when every test is passed by some related record; `none`: when no related record passes
 * `tests[0]`. A record without related records fails `any` and `all`.
 */
export interface RelatedNode {
  readonly kind: 'related';
  readonly relation: string;
  /** Whether `relation` is many-to-many. */
  readonly many: boolean;
  /** The related model. */
  readonly target: ModelDefinition;
  readonly quantifier: 'any' | 'all' | 'none';
  /** Filters over the related model. */
  readonly tests: readonly FilterNode[];
}

/** A node of a parsed filter. */
export type FilterNode =
  | { readonly kind: 'and'; readonly children: readonly FilterNode[] }
  | { readonly kind: 'or'; readonly children: readonly FilterNode[] }
  | { readonly kind: 'not'; readonly child: FilterNode }
  | ConditionNode
  | RelatedNode;

/** A validated filter over one model, as `parseFilterTree` returns it. */
export interface FilterTree {
  readonly model: ModelDefinition;
  readonly root: FilterNode;
}

const conditionSchema = z.strictObject({
  field: z.string({ error: 'expected a field name (a string)' }),
  op: z.string({ error: 'expected an operator name (a string)' }),
  value: z.unknown().optional(),
});
const andSchema = z.strictObject({ and: z.array(z.unknown(), { error: "expected an array of filters" }) });
const orSchema = z.strictObject({ or: z.array(z.unknown(), { error: "expected an array of filters" }) });
const notSchema = z.strictObject({ not: z.unknown() });

/** Client JSON of a filter: a condition, a group, or an array of filters (all must hold). */
export type FilterTreeJson =
  | z.infer<typeof conditionSchema>
  | { and: FilterTreeJson[] }
  | { or: FilterTreeJson[] }
  | { not: FilterTreeJson }
  | FilterTreeJson[];

const ROOT = 'filters';
const ID_FIELD: FieldDefinition = { name: 'id', type: 'string' };
const TEXT_TYPES = new Set<FieldType>(['string', 'text', 'email', 'choice', 'foreign_key']);
const ORDERED_TYPES = new Set<FieldType>([...TEXT_TYPES, 'integer', 'decimal', 'date', 'datetime']);
const COMPARISONS = new Set<FilterOperator>(['lt', 'lte', 'gt', 'gte', 'between']);
const PATTERNS = new Set<FilterOperator>(['contains', 'icontains', 'startswith', 'istartswith', 'endswith']);
const QUANTIFIERS = new Set<FilterOperator>(['any', 'all', 'none']);

/** Operators that apply to a field of this type reached without a many-to-many hop. */
function operatorsFor(type: FieldType): ReadonlySet<FilterOperator> {
  if (type === 'many_to_many') return new Set(['any', 'all', 'none', 'contains', 'isnull']);
  if (type === 'json') return new Set(['eq', 'ne', 'isnull']);
  if (type === 'boolean') return new Set(['eq', 'ne', 'in', 'not_in', 'isnull']);
  const ops = new Set<FilterOperator>(['eq', 'ne', 'in', 'not_in', 'isnull']);
  if (ORDERED_TYPES.has(type)) for (const op of COMPARISONS) ops.add(op);
  if (TEXT_TYPES.has(type)) for (const op of PATTERNS) ops.add(op);
  return ops;
}

/** Human description of what a value of this type looks like, for error messages. */
function expected(f: FieldDefinition): string {
  switch (f.type) {
    case 'integer':
      return 'a whole number';
    case 'decimal':
      return "a decimal number (digits and '.', no thousands separators)";
    case 'boolean':
      return 'a boolean';
    case 'date':
      return 'a date (YYYY-MM-DD)';
    case 'datetime':
      return 'a date-time (ISO 8601, e.g. 2024-01-31T10:00:00Z)';
    case 'choice':
      return `one of ${(f.choices ?? []).join(', ')}`;
    case 'email':
      return 'an email address';
    case 'foreign_key':
    case 'many_to_many':
      return 'an id (a string)';
    default:
      return 'a string';
  }
}

/** A field path resolved against the models: the relations it follows, then the field. */
interface ResolvedPath {
  readonly hops: ReadonlyArray<{ readonly relation: FieldDefinition; readonly target: ModelDefinition }>;
  readonly leaf: FieldDefinition;
}

/** Counts conditions while one filter is parsed. */
interface ParseState {
  readonly model: ModelDefinition;
  readonly registry: ModelRegistry;
  readonly limits: FilterLimits;
  conditions: number;
}

/**
 * Validates client filter JSON against a model and returns the typed tree, parsed once and then
 * compiled for each scan with `compileFilter`.
 *
 * 1. Walk the JSON: arrays and `and`/`or`/`not` become groups (at most `maxDepth` deep), objects
 *    with `field` become conditions (at most `maxConditions`).
 * 2. Resolve each field path (`id`, a field, `<fk>_id`, or up to two relations joined by dots),
 *    refusing unknown and sensitive fields on every model the path crosses.
 * 3. Check the operator applies to the field's type and parse the value with the field's codec,
 *    so a filter value means what the same cell would mean in an imported file.
 * @throws ValidationError `filters.<path>: <problem>` with `details.path` the path without the
 *   `filters` prefix (e.g. `and[1].or[0].value`)
 */
export function parseFilterTree(json: unknown, model: ModelDefinition, registry: ModelRegistry, limits: Partial<FilterLimits> = {}): FilterTree {
  const state: ParseState = { model, registry, limits: { ...FILTER_LIMITS, ...limits }, conditions: 0 };
  return { model, root: parseNode(json, ROOT, 0, state) };
}

function parseNode(node: unknown, path: string, depth: number, state: ParseState): FilterNode {
  const group = (at: string, items: readonly unknown[], kind: 'and' | 'or'): FilterNode => {
    checkDepth(path, depth, state);
    return { kind, children: items.map((child, i) => parseNode(child, `${at}[${i}]`, depth + 1, state)) };
  };
  if (Array.isArray(node)) return group(path, node, 'and');
  if (!isPlainObject(node)) {
    throw invalid(path, 'expected a condition {"field", "op", "value"}, a group {"and"}, {"or"}, {"not"} or an array');
  }
  if ('and' in node) return group(`${path}.and`, shape(andSchema, node, path).and, 'and');
  if ('or' in node) return group(`${path}.or`, shape(orSchema, node, path).or, 'or');
  if ('not' in node) {
    const { not } = shape(notSchema, node, path);
    checkDepth(path, depth, state);
    return { kind: 'not', child: parseNode(not, `${path}.not`, depth + 1, state) };
  }
  if (!('field' in node)) {
    throw invalid(path, 'expected a condition {"field", "op", "value"}, a group {"and"}, {"or"}, {"not"} or an array');
  }
  return parseCondition(node, path, state);
}

function checkDepth(path: string, depth: number, state: ParseState): void {
  if (depth >= state.limits.maxDepth) throw invalid(path, `filters may nest at most ${state.limits.maxDepth} levels deep`);
}

function parseCondition(node: Record<string, unknown>, path: string, state: ParseState): FilterNode {
  const { field: name, op: opName } = shape(conditionSchema, node, path);
  state.conditions += 1;
  if (state.conditions > state.limits.maxConditions) throw invalid(path, `a filter may hold at most ${state.limits.maxConditions} conditions`);
  const resolved = resolvePath(name, state, `${path}.field`);
  if (!(FILTER_OPERATORS as readonly string[]).includes(opName)) {
    throw invalid(`${path}.op`, `unknown operator '${opName}' (use one of ${FILTER_OPERATORS.join(', ')})`);
  }
  const op = opName as FilterOperator;
  const { hops, leaf } = resolved;
  const crossesMany = hops.some((hop) => hop.relation.type === 'many_to_many');
  const quantifiesHops = QUANTIFIERS.has(op) && leaf.type !== 'many_to_many';
  if (!operatorsFor(leaf.type).has(op) && !(quantifiesHops && crossesMany)) {
    const hint = quantifiesHops ? ' (only for many-to-many fields and paths through one)' : '';
    throw invalid(`${path}.op`, `operator '${op}' does not apply to ${leaf.type} field '${name}'${hint}`);
  }
  if (!('value' in node)) throw invalid(`${path}.value`, 'a value is required');
  const valuePath = `${path}.value`;
  if (quantifiesHops) {
    // `tags.name all ["red", "blue"]`: quantify over the first relation, one test per value.
    const values = parseList(leaf, op, node.value, valuePath, false, state);
    const leafCondition = (leafOp: FilterOperator, value: ConditionValue): ConditionNode => ({ kind: 'condition', field: leaf.name, type: leaf.type, op: leafOp, value });
    const [first, ...rest] = hops;
    const inner = (condition: ConditionNode) => wrapHops(rest, condition);
    const tests = op === 'all' ? values.map((value) => inner(leafCondition('eq', value))) : [inner(leafCondition('in', values))];
    return { kind: 'related', relation: first!.relation.name, many: first!.relation.type === 'many_to_many', target: first!.target, quantifier: op as 'any' | 'all' | 'none', tests };
  }
  return wrapHops(hops, parseOperand(leaf, op, node.value, valuePath, state));
}

/** Wraps a condition on the last model of a path in one `any` per relation followed. */
function wrapHops(hops: ResolvedPath['hops'], condition: ConditionNode): FilterNode {
  return hops.reduceRight<FilterNode>(
    (inner, hop) => ({ kind: 'related', relation: hop.relation.name, many: hop.relation.type === 'many_to_many', target: hop.target, quantifier: 'any', tests: [inner] }),
    condition,
  );
}

function resolvePath(name: string, state: ParseState, path: string): ResolvedPath {
  const segments = name.split('.');
  if (segments.length - 1 > MAX_TRAVERSAL_HOPS) {
    throw invalid(path, `'${name}' follows more than ${MAX_TRAVERSAL_HOPS} relations`);
  }
  const hops: Array<{ relation: FieldDefinition; target: ModelDefinition }> = [];
  let model = state.model;
  for (const [i, segment] of segments.entries()) {
    const f = fieldOf(model, segment);
    if (!f) throw invalid(path, `unknown field '${name}'${i === 0 ? '' : ` (${model.plural} has no field '${segment}')`}`);
    if (f.sensitive) throw invalid(path, `field '${name}' cannot be filtered on`);
    if (i === segments.length - 1) return { hops, leaf: f };
    if ((f.type !== 'foreign_key' && f.type !== 'many_to_many') || segment !== f.name) {
      throw invalid(path, `'${segments.slice(0, i + 1).join('.')}' is not a relation, so '${name}' cannot be followed`);
    }
    model = state.registry.require(f.to as string);
    hops.push({ relation: f, target: model });
  }
  throw invalid(path, `unknown field '${name}'`);
}

/** `id`, a field, or `<fk>_id` for a foreign key. */
function fieldOf(model: ModelDefinition, name: string): FieldDefinition | undefined {
  if (name === 'id') return ID_FIELD;
  const direct = model.fields[name];
  if (direct) return direct;
  const base = name.endsWith('_id') ? model.fields[name.slice(0, -3)] : undefined;
  return base?.type === 'foreign_key' ? base : undefined;
}

function parseOperand(f: FieldDefinition, op: FilterOperator, value: unknown, path: string, state: ParseState): ConditionNode {
  const condition = (conditionOp: FilterOperator, parsed: ConditionValue): ConditionNode => ({ kind: 'condition', field: f.name, type: f.type, op: conditionOp, value: parsed });
  if (op === 'isnull') {
    if (typeof value !== 'boolean') throw invalid(path, "expected true or false ('isnull' takes a boolean)");
    return condition(op, value);
  }
  if (f.type === 'many_to_many') {
    if (op === 'contains') return condition('any', [parseId(value, path)]);
    return condition(op, parseList(f, op, value, path, false, state));
  }
  if (op === 'in' || op === 'not_in') return condition(op, parseList(f, op, value, path, true, state));
  if (op === 'between') {
    if (!Array.isArray(value) || value.length !== 2) throw invalid(path, "'between' takes [low, high]");
    return condition(op, [parseScalar(f, op, value[0], `${path}[0]`, false), parseScalar(f, op, value[1], `${path}[1]`, false)]);
  }
  if (PATTERNS.has(op)) {
    if (typeof value !== 'string' || value === '') throw invalid(path, `'${op}' takes a non-empty string`);
    return condition(op, value);
  }
  const parsed = parseScalar(f, op, value, path, op === 'eq' || op === 'ne');
  // `eq null` is how the first filter release asked for a blank field.
  if (parsed === null) return condition('isnull', op === 'eq');
  return condition(op, parsed);
}

function parseList(f: FieldDefinition, op: FilterOperator, value: unknown, path: string, nullable: boolean, state: ParseState): FieldValue[] {
  if (!Array.isArray(value)) throw invalid(path, 'expected an array of values');
  if (value.length > state.limits.maxValues) throw invalid(path, `a list may hold at most ${state.limits.maxValues} values`);
  if (f.type === 'many_to_many') return value.map((item, i) => parseId(item, `${path}[${i}]`));
  return value.map((item, i) => parseScalar(f, op, item, `${path}[${i}]`, nullable));
}

function parseId(value: unknown, path: string): string {
  const text = typeof value === 'string' ? value.trim() : typeof value === 'number' && Number.isFinite(value) ? String(value) : '';
  if (text === '') throw invalid(path, 'expected an id (a string)');
  return text;
}

function parseScalar(f: FieldDefinition, op: FilterOperator, value: unknown, path: string, nullable: boolean): FieldValue {
  if (value === null || value === undefined) {
    if (nullable) return null;
    throw invalid(path, `a value is required ('${op}' compares with a value; use 'isnull' for blanks)`);
  }
  if (f.type === 'json') return value as JsonValue;
  if (!acceptsJsonType(f.type, value)) throw invalid(path, `expected ${expected(f)}`);
  const text = String(value);
  // An email is matched whole by eq/in; ordering it against a fragment is fine.
  if (f.type === 'email' && COMPARISONS.has(op)) {
    if (text.trim() === '') throw invalid(path, 'a value is required');
    return text.trim();
  }
  const parsed = parseValue(f, text, { lenient: true });
  if (!parsed.ok) throw invalid(path, parsed.message.endsWith('is too large') ? parsed.message : `expected ${expected(f)}`);
  if (parsed.value === null && !nullable) throw invalid(path, `a value is required ('${op}' compares with a value; use 'isnull' for blanks)`);
  return parsed.value;
}

/** Which JSON types a value of the field may be sent as (decimals as strings or numbers). */
function acceptsJsonType(type: FieldType, value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value) && type !== 'date' && type !== 'datetime' && type !== 'choice';
  if (typeof value === 'boolean') return type === 'boolean';
  return typeof value === 'string';
}

function shape<T>(schema: z.ZodType<T>, node: unknown, path: string): T {
  const result = schema.safeParse(node);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const suffix = (issue?.path ?? []).map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`)).join('');
  throw invalid(`${path}${suffix}`, issue?.message ?? 'invalid filter');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The error for a problem at `path` (rooted at `filters`); `details.path` drops the root so it
 * reads the same whatever the request calls the filter.
 */
function invalid(path: string, message: string): ValidationError {
  const relative = path === ROOT ? '' : path.slice(ROOT.length).replace(/^\./, '');
  return new ValidationError(`${path}: ${message}`, { path: relative });
}
