import { z } from 'zod';
import { ValidationError } from '../errors';
import { parseValue } from '../model/codecs';
import type { FieldDefinition, FieldType, FieldValue, ModelDefinition, StoredRecord } from '../model/types';
import { compareDecimal } from '../util/decimal';

/** The comparison operators of the filter language. */
export const FILTER_OPS = ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'in', 'contains'] as const;

/** A comparison operator. */
export type FilterOp = (typeof FILTER_OPS)[number];

/** A validated condition: `field` is `'id'` or a model field name, `value` is canonical. */
export interface FilterCondition {
  readonly field: string;
  readonly type: FieldType;
  readonly op: FilterOp;
  /** One canonical value; an array of them for `in`. */
  readonly value: FieldValue | readonly FieldValue[];
}

/** A validated filter tree: a condition or a conjunction. */
export type Filter = FilterCondition | { readonly and: readonly Filter[] };

/** Shape of one condition as sent by clients. */
export const filterConditionSchema = z.strictObject({
  field: z.string().min(1),
  op: z.enum(FILTER_OPS),
  value: z.unknown(),
});

/** Shape of a conjunction as sent by clients (its items are checked one by one). */
export const filterAndSchema = z.strictObject({ and: z.array(z.unknown()) });

/** Client JSON of a filter: a condition, an array of conditions (AND) or `{ "and": [...] }`. */
export type FilterJson = z.infer<typeof filterConditionSchema> | FilterJson[] | { and: FilterJson[] };

const ORDERED_OPS: readonly FilterOp[] = ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'in'];
const OPS_BY_TYPE: Record<FieldType, readonly FilterOp[]> = {
  string: [...ORDERED_OPS, 'contains'],
  text: [...ORDERED_OPS, 'contains'],
  email: [...ORDERED_OPS, 'contains'],
  choice: [...ORDERED_OPS, 'contains'],
  foreign_key: [...ORDERED_OPS, 'contains'],
  integer: ORDERED_OPS,
  decimal: ORDERED_OPS,
  date: ORDERED_OPS,
  datetime: ORDERED_OPS,
  boolean: ['eq', 'ne', 'in'],
  json: ['eq', 'ne'],
  many_to_many: ['contains'],
};
const ID_FIELD: FieldDefinition = { name: 'id', type: 'string' };
const ROOT = 'filters';

/**
 * Validates client filter JSON against a model and returns the typed filter tree.
 * @throws ValidationError naming the path of the first problem (`filters.and[1].value: ...`),
 *   with `details.path`
 */
export function parseFilter(json: unknown, model: ModelDefinition): Filter {
  return parseNode(json, ROOT, model);
}

function parseNode(node: unknown, path: string, model: ModelDefinition): Filter {
  if (Array.isArray(node)) return { and: node.map((child, i) => parseNode(child, `${path}[${i}]`, model)) };
  if (isPlainObject(node) && 'and' in node) {
    const result = filterAndSchema.safeParse(node);
    if (!result.success) throw zodError(path, result.error);
    return { and: result.data.and.map((child, i) => parseNode(child, `${path}.and[${i}]`, model)) };
  }
  const result = filterConditionSchema.safeParse(node);
  if (!result.success) throw zodError(path, result.error);
  const { field: name, op, value } = result.data;
  const f = resolveField(name, model, `${path}.field`);
  if (!OPS_BY_TYPE[f.type].includes(op)) {
    throw invalid(`${path}.op`, `operator '${op}' does not apply to ${f.type} field '${name}'`);
  }
  return { field: f.name, type: f.type, op, value: parseOperand(f, op, value, `${path}.value`) };
}

function resolveField(name: string, model: ModelDefinition, path: string): FieldDefinition {
  if (name === 'id') return ID_FIELD;
  const direct = model.fields[name];
  const base = name.endsWith('_id') ? model.fields[name.slice(0, -3)] : undefined;
  const f = direct ?? (base?.type === 'foreign_key' ? base : undefined);
  if (!f) throw invalid(path, `unknown field '${name}'`);
  if (f.sensitive) throw invalid(path, `field '${name}' cannot be filtered on`);
  return f;
}

function parseOperand(f: FieldDefinition, op: FilterOp, value: unknown, path: string): FieldValue | FieldValue[] {
  if (op === 'in') {
    if (!Array.isArray(value)) throw invalid(path, `'in' needs an array of values`);
    return value.map((item, i) => parseScalar(f, item, `${path}[${i}]`, true));
  }
  if (op === 'contains') {
    if (typeof value !== 'string' || value === '') throw invalid(path, `'contains' needs a non-empty string`);
    return f.type === 'many_to_many' ? value.trim() : value;
  }
  return parseScalar(f, value, path, op === 'eq' || op === 'ne');
}

function parseScalar(f: FieldDefinition, value: unknown, path: string, nullable: boolean): FieldValue {
  if (f.type === 'json') return value as FieldValue;
  if (value === null) {
    if (nullable) return null;
    throw invalid(path, 'a value is required');
  }
  if (typeof value === 'number' && !Number.isFinite(value)) throw invalid(path, 'must be a finite number');
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
    throw invalid(path, `must be a string, number or boolean for ${f.type} field '${f.name}'`);
  }
  // Through the import codec, so a filter value means what the same cell would mean in a file.
  const parsed = parseValue(f, String(value), { lenient: true });
  if (!parsed.ok) throw invalid(path, parsed.message);
  if (parsed.value === null && !nullable) throw invalid(path, 'a value is required');
  return parsed.value;
}

/** Whether a record satisfies a filter. */
export function matchesFilter(filter: Filter, record: StoredRecord): boolean {
  if ('and' in filter) return filter.and.every((child) => matchesFilter(child, record));
  const actual: FieldValue = filter.field === 'id' ? record.id : (record.values[filter.field] ?? null);
  const expected = filter.value;
  switch (filter.op) {
    case 'eq':
      return equals(filter.type, actual, expected as FieldValue);
    case 'ne':
      return !equals(filter.type, actual, expected as FieldValue);
    case 'in':
      return (expected as FieldValue[]).some((item) => equals(filter.type, actual, item));
    case 'contains':
      if (Array.isArray(actual)) return actual.includes(expected as string);
      return typeof actual === 'string' && actual.includes(expected as string);
    case 'lt':
      return compareNonNull(filter.type, actual, expected as FieldValue, (c) => c < 0);
    case 'lte':
      return compareNonNull(filter.type, actual, expected as FieldValue, (c) => c <= 0);
    case 'gt':
      return compareNonNull(filter.type, actual, expected as FieldValue, (c) => c > 0);
    case 'gte':
      return compareNonNull(filter.type, actual, expected as FieldValue, (c) => c >= 0);
    default:
      return false;
  }
}

function equals(type: FieldType, actual: FieldValue, expected: FieldValue): boolean {
  if (actual === null || expected === null) return actual === expected;
  if (type === 'json') return JSON.stringify(actual) === JSON.stringify(expected);
  if (type === 'decimal') return compareDecimal(String(actual), String(expected)) === 0;
  return actual === expected;
}

function compareNonNull(type: FieldType, actual: FieldValue, expected: FieldValue, test: (c: number) => boolean): boolean {
  if (actual === null || expected === null) return false;
  return test(compare(type, actual, expected));
}

function compare(type: FieldType, a: FieldValue, b: FieldValue): number {
  if (type === 'integer') return Number(a) - Number(b);
  if (type === 'decimal') return compareDecimal(String(a), String(b));
  // Dates and datetimes are canonical ISO strings, which sort as text; code-unit order keeps the
  // result independent of the runtime's locale.
  const left = String(a);
  const right = String(b);
  return left < right ? -1 : left > right ? 1 : 0;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(path: string, message: string): ValidationError {
  return new ValidationError(`${path}: ${message}`, { path });
}

function zodError(path: string, error: z.ZodError): ValidationError {
  const issue = error.issues[0];
  const suffix = issue ? issue.path.map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`)).join('') : '';
  const fullPath = `${path}${suffix}`;
  return new ValidationError(`${fullPath}: ${issue?.message ?? 'invalid filter'}`, { path: fullPath });
}
