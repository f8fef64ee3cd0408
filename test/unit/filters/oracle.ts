import type { ModelRegistry } from '../../../layers/core/model/define-model';
import type { FieldType, FieldValue, ModelDefinition, StoredRecord } from '../../../layers/core/model/types';
import { compareDecimal } from '../../../layers/core/util/decimal';

/** Every record of every model: records by model plural, then id, and the models. */
export interface Database {
  readonly records: ReadonlyMap<string, ReadonlyMap<string, StoredRecord>>;
  readonly registry: ModelRegistry;
}

type Json = Record<string, unknown>;

/**
 * The filter language's meaning written the slow, obvious way: straight from the JSON, following
 * relations record by record. The compiled filter (id sets, store filter) must agree with it.
 */
export function oracleMatches(json: unknown, model: ModelDefinition, record: StoredRecord, db: Database): boolean {
  if (Array.isArray(json)) return json.every((child) => oracleMatches(child, model, record, db));
  const node = json as Json;
  if ('and' in node) return (node.and as unknown[]).every((child) => oracleMatches(child, model, record, db));
  if ('or' in node) return (node.or as unknown[]).some((child) => oracleMatches(child, model, record, db));
  if ('not' in node) return !oracleMatches(node.not, model, record, db);
  return oracleCondition(node.field as string, node.op as string, node.value, model, record, db);
}

function oracleCondition(path: string, op: string, value: unknown, model: ModelDefinition, record: StoredRecord, db: Database): boolean {
  const [first, ...rest] = path.split('.');
  if (rest.length === 0) return direct(first!, op, value, model, record);
  const relation = model.fields[first!]!;
  const target = db.records.get(relation.to!) ?? new Map<string, StoredRecord>();
  const targetModel = db.registry.require(relation.to!);
  const raw = record.values[first!];
  const ids = Array.isArray(raw) ? (raw as string[]) : raw === null || raw === undefined ? [] : [String(raw)];
  const related = ids.map((id) => target.get(id)).filter((r): r is StoredRecord => r !== undefined);
  const restPath = rest.join('.');
  const leafIsMany = leafType(restPath, targetModel, db) === 'many_to_many';
  const exists = (innerOp: string, innerValue: unknown) => related.some((r) => oracleCondition(restPath, innerOp, innerValue, targetModel, r, db));
  if (!leafIsMany && (op === 'any' || op === 'all' || op === 'none')) {
    const values = value as unknown[];
    if (op === 'all') return values.every((v) => exists('eq', v));
    return op === 'any' ? exists('in', values) : !exists('in', values);
  }
  return exists(op, value);
}

function leafType(path: string, model: ModelDefinition, db: Database): FieldType {
  const [first, ...rest] = path.split('.');
  const f = fieldFor(first!, model);
  if (rest.length === 0) return f.type;
  return leafType(rest.join('.'), db.registry.require(f.to!), db);
}

function fieldFor(name: string, model: ModelDefinition): { name: string; type: FieldType; to?: string } {
  if (name === 'id') return { name: 'id', type: 'string' };
  if (model.fields[name]) return model.fields[name]!;
  return model.fields[name.slice(0, -3)]!;
}

function direct(name: string, op: string, value: unknown, model: ModelDefinition, record: StoredRecord): boolean {
  const f = fieldFor(name, model);
  const actual: FieldValue = f.name === 'id' ? record.id : (record.values[f.name] ?? null);
  if (f.type === 'many_to_many') {
    const ids = (actual as string[] | null) ?? [];
    const list = op === 'contains' ? [value as string] : (value as string[]);
    if (op === 'isnull') return (ids.length === 0) === value;
    if (op === 'all') return list.every((id) => ids.includes(id));
    if (op === 'none') return !list.some((id) => ids.includes(id));
    return list.some((id) => ids.includes(id));
  }
  const eq = (v: unknown) => (v === null ? actual === null : actual !== null && same(f.type, actual, v));
  const cmp = (v: unknown) => order(f.type, actual, v);
  const text = typeof actual === 'string' ? actual : undefined;
  switch (op) {
    case 'eq':
      return eq(value);
    case 'ne':
      return !eq(value);
    case 'isnull':
      return (actual === null) === value;
    case 'in':
      return (value as unknown[]).some(eq);
    case 'not_in':
      return !(value as unknown[]).some(eq);
    case 'lt':
      return actual !== null && cmp(value) < 0;
    case 'lte':
      return actual !== null && cmp(value) <= 0;
    case 'gt':
      return actual !== null && cmp(value) > 0;
    case 'gte':
      return actual !== null && cmp(value) >= 0;
    case 'between':
      return actual !== null && cmp((value as unknown[])[0]) >= 0 && cmp((value as unknown[])[1]) <= 0;
    case 'contains':
      return text !== undefined && text.includes(value as string);
    case 'icontains':
      return text !== undefined && text.toLowerCase().includes((value as string).toLowerCase());
    case 'startswith':
      return text !== undefined && text.startsWith(value as string);
    case 'istartswith':
      return text !== undefined && text.toLowerCase().startsWith((value as string).toLowerCase());
    case 'endswith':
      return text !== undefined && text.endsWith(value as string);
    default:
      throw new Error(`oracle: unexpected operator ${op}`);
  }
}

function same(type: FieldType, actual: FieldValue, value: unknown): boolean {
  if (type === 'json') return JSON.stringify(actual) === JSON.stringify(value);
  return order(type, actual, value) === 0;
}

function order(type: FieldType, actual: FieldValue, value: unknown): number {
  if (type === 'decimal') return compareDecimal(String(actual), String(value));
  if (type === 'integer') return Number(actual) - Number(value);
  if (type === 'boolean') return Number(actual) - Number(value);
  return Buffer.compare(Buffer.from(String(actual)), Buffer.from(String(value)));
}
