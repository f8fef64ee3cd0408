import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, NumberValue, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FieldDefinition, FieldValue, ModelDefinition, RecordValues, StoredRecord } from '../core/model/types';
import type { RecordStore, RecordWrite, ScanOptions, StoreFilter, StoreScalar } from '../core/ports';
import { batchGet, batchWrite } from './dynamodb-batch';

/**
 * Number of partitions one model of one organization is spread over. Each partition takes up to
 * 1,000 WCU/s, so 32 of them let one import write ~32,000 items/s before DynamoDB throttles.
 * Changing it needs a data migration: the shard of a stored item is part of its key.
 */
export const RECORD_SHARDS = 32;

/**
 * Items a scan's Query evaluates per call. DynamoDB's own page is 1 MB (about 2,000 products),
 * and a page is held at once four times over while it is rendered: the response, the items,
 * the records and their rows; 500 keeps that a quarter as large in each of an export's parallel
 * segments. Reads cost the same (RCUs follow the bytes read, not the calls); each extra call
 * adds one round trip, ~5-10 ms on AWS, so 1,000,000 records over 4 segments add ~5 s a segment.
 */
export const SCAN_PAGE_ITEMS = 500;

/**
 * Records in DynamoDB, one item per record:
 * - record: `pk = <org>#<model>#<shard(id)>`, `sk = <id>`, fields as top-level attributes
 *   (decimals and integers as numbers, JSON as text), bookkeeping in `_`-prefixed attributes;
 * - unique value: `pk = <org>#<model>#u#<field>#<shard(value)>`, `sk = <value>`, `ref_id`.
 */
export class DynamoDbRecordStore implements RecordStore {
  constructor(private readonly options: { client: DynamoDBDocumentClient; tableName: string }) {}

  async getByIds(org: string, model: ModelDefinition, ids: readonly string[]): Promise<Map<string, StoredRecord>> {
    const unique = [...new Set(ids)];
    const items = await batchGet(this.options.client, this.options.tableName, unique.map((id) => recordKey(org, model, id)));
    return new Map(items.map((item) => [item.sk as string, fromItem(model, item)]));
  }

  async findByUnique(org: string, model: ModelDefinition, field: string, values: readonly string[]): Promise<Map<string, string>> {
    const unique = [...new Set(values)];
    const items = await batchGet(this.options.client, this.options.tableName, unique.map((value) => uniqueKey(org, model, field, value)));
    return new Map(items.map((item) => [item.sk as string, item.ref_id as string]));
  }

  async write(org: string, model: ModelDefinition, writes: readonly RecordWrite[]): Promise<void> {
    const uniqueFields = Object.values(model.fields).filter((f) => f.unique);
    // Released values are deleted one by one, and only while they still point at this record,
    // so a value moved to another record by a parallel chunk is never lost.
    for (const { record, previous } of writes) {
      for (const f of uniqueFields) {
        const old = uniqueText(previous?.values[f.name]);
        if (old !== undefined && old !== uniqueText(record.values[f.name])) await this.releaseUnique(org, model, f.name, old, record.id);
      }
    }
    const puts = new Map<string, Record<string, unknown>>();
    for (const { record } of writes) {
      const item = toItem(org, model, record);
      puts.set(`${item.pk}|${item.sk}`, item);
      for (const f of uniqueFields) {
        const value = uniqueText(record.values[f.name]);
        if (value === undefined) continue;
        const key = uniqueKey(org, model, f.name, value);
        puts.set(`${key.pk}|${key.sk}`, { ...key, ref_id: record.id });
      }
    }
    await batchWrite(this.options.client, this.options.tableName, [...puts.values()].map((Item) => ({ PutRequest: { Item } })));
  }

  async *scan(org: string, model: ModelDefinition, options: ScanOptions): AsyncIterable<StoredRecord[]> {
    const filter = options.filter === undefined ? undefined : toFilterExpression(model, options.filter);
    for (let shard = options.segment; shard < RECORD_SHARDS; shard += options.totalSegments) {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await this.options.client.send(
          new QueryCommand({
            TableName: this.options.tableName,
            KeyConditionExpression: 'pk = :pk',
            FilterExpression: filter?.expression,
            ExpressionAttributeNames: filter?.names,
            ExpressionAttributeValues: { ':pk': `${org}#${model.plural}#${shard}`, ...filter?.values },
            ExclusiveStartKey: startKey,
            Limit: SCAN_PAGE_ITEMS,
          }),
        );
        const items = page.Items ?? [];
        if (items.length > 0) yield items.map((item) => fromItem(model, item));
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    }
  }

  private async releaseUnique(org: string, model: ModelDefinition, field: string, value: string, id: string): Promise<void> {
    try {
      await this.options.client.send(
        new DeleteCommand({
          TableName: this.options.tableName,
          Key: uniqueKey(org, model, field, value),
          ConditionExpression: 'ref_id = :id',
          ExpressionAttributeValues: { ':id': id },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}

/** A DynamoDB FilterExpression with its placeholders. */
export interface FilterExpression {
  readonly expression: string;
  readonly names: Record<string, string>;
  readonly values: Record<string, unknown>;
}

/** DynamoDB refuses expressions longer than 4 KB. */
const MAX_EXPRESSION_LENGTH = 4096;
const EXPRESSION_TYPES = new Set(['string', 'text', 'email', 'choice', 'foreign_key', 'integer', 'decimal', 'date', 'datetime', 'boolean']);
const COMPARATORS = { eq: '=', lt: '<', lte: '<=', gt: '>', gte: '>=' } as const;

/**
 * Compiles a store filter over `model` to a FilterExpression that selects exactly the same items.
 * Absent attributes (null values) need care only for `ne`: DynamoDB compares nothing with a
 * missing attribute (`<`, `=`, `IN`, `contains`, `begins_with` are false, so `NOT` of them is
 * true, as in memory), and `ne` must also hold for a record without a value.
 * @throws Error on a field that is not `id` or a scalar field of the model, or an expression
 *   DynamoDB would refuse as too long
 */
export function toFilterExpression(model: ModelDefinition, filter: StoreFilter): FilterExpression {
  const names: Record<string, string> = {};
  const nameByField = new Map<string, string>();
  const values: Record<string, unknown> = {};
  const name = (field: string): string => {
    const type = field === 'id' ? 'string' : model.fields[field]?.type;
    if (type === undefined || !EXPRESSION_TYPES.has(type)) throw new Error(`store filter on ${model.plural}: '${field}' is not a scalar field`);
    let placeholder = nameByField.get(field);
    if (placeholder === undefined) {
      placeholder = `#f${nameByField.size}`;
      nameByField.set(field, placeholder);
      names[placeholder] = field;
    }
    return placeholder;
  };
  const value = (field: string, scalar: StoreScalar): string => {
    const placeholder = `:f${Object.keys(values).length}`;
    // Decimals are numbers in the table: compare them as numbers, exactly (no float on the way).
    values[placeholder] = field !== 'id' && model.fields[field]?.type === 'decimal' ? NumberValue.from(String(scalar)) : scalar;
    return placeholder;
  };
  // DynamoDB rejects redundant parentheses (`((a))`): only a compound part nested in another gets them.
  const nested = (node: StoreFilter): string => {
    const text = build(node);
    return isCompound(node) ? `(${text})` : text;
  };
  const build = (node: StoreFilter): string => {
    // Every record item has an `id` (a filter may not name the key attributes pk and sk).
    if ('and' in node || 'or' in node) {
      const parts = 'and' in node ? node.and : node.or;
      if (parts.length === 0) return 'and' in node ? `attribute_exists(${name('id')})` : `attribute_not_exists(${name('id')})`;
      if (parts.length === 1) return build(parts[0]!);
      return parts.map(nested).join('and' in node ? ' AND ' : ' OR ');
    }
    if ('not' in node) return `NOT ${nested(node.not)}`;
    const attribute = name(node.field);
    switch (node.op) {
      case 'eq':
      case 'lt':
      case 'lte':
      case 'gt':
      case 'gte':
        return `${attribute} ${COMPARATORS[node.op]} ${value(node.field, node.value)}`;
      case 'ne':
        return `attribute_not_exists(${attribute}) OR ${attribute} <> ${value(node.field, node.value)}`;
      case 'between':
        // Not BETWEEN: DynamoDB rejects a BETWEEN whose low bound is above the high one.
        return `${attribute} >= ${value(node.field, node.value[0])} AND ${attribute} <= ${value(node.field, node.value[1])}`;
      case 'in':
        if (node.value.length === 0) return `attribute_not_exists(${name('id')})`;
        return `${attribute} IN (${node.value.map((v) => value(node.field, v)).join(', ')})`;
      case 'contains':
        return `contains(${attribute}, ${value(node.field, node.value)})`;
      case 'startswith':
        return `begins_with(${attribute}, ${value(node.field, node.value)})`;
      case 'isnull':
        return node.value ? `attribute_not_exists(${attribute})` : `attribute_exists(${attribute})`;
    }
  };
  const expression = build(filter);
  if (expression.length > MAX_EXPRESSION_LENGTH) throw new Error(`store filter on ${model.plural} is too long for DynamoDB (${expression.length} characters)`);
  return { expression, names, values };
}

/** Whether the expression of a store filter has operators of its own (AND, OR, NOT) at its top. */
function isCompound(node: StoreFilter): boolean {
  if ('and' in node || 'or' in node) {
    const parts = 'and' in node ? node.and : node.or;
    return parts.length === 1 ? isCompound(parts[0]!) : parts.length > 1;
  }
  return 'not' in node || node.op === 'ne' || node.op === 'between';
}

/** FNV-1a: a stable, fast hash so the same id always lands in the same shard. */
export function shardOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % RECORD_SHARDS;
}

function recordKey(org: string, model: ModelDefinition, id: string) {
  return { pk: `${org}#${model.plural}#${shardOf(id)}`, sk: id };
}

function uniqueKey(org: string, model: ModelDefinition, field: string, value: string) {
  return { pk: `${org}#${model.plural}#u#${field}#${shardOf(value)}`, sk: value };
}

function uniqueText(value: FieldValue | undefined): string | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  return String(value);
}

function toItem(org: string, model: ModelDefinition, record: StoredRecord): Record<string, unknown> {
  const item: Record<string, unknown> = {
    ...recordKey(org, model, record.id),
    id: record.id,
    _org: org,
    _model: model.plural,
    _created_at: record.meta.created_at,
    _updated_at: record.meta.updated_at,
  };
  if (record.meta.created_by) item._created_by = record.meta.created_by;
  if (record.meta.updated_by) item._updated_by = record.meta.updated_by;
  if (record.meta.job_id) item._job_id = record.meta.job_id;
  for (const f of Object.values(model.fields)) {
    const value = record.values[f.name];
    if (value === null || value === undefined) continue;
    item[f.name] = toAttribute(f, value);
  }
  return item;
}

function toAttribute(f: FieldDefinition, value: FieldValue): unknown {
  switch (f.type) {
    case 'decimal':
      // Numbers keep decimals exact in DynamoDB (38 digits) and sortable in filters.
      return NumberValue.from(String(value));
    case 'json':
      return JSON.stringify(value);
    default:
      return value;
  }
}

function fromItem(model: ModelDefinition, item: Record<string, unknown>): StoredRecord {
  const values: RecordValues = {};
  for (const f of Object.values(model.fields)) values[f.name] = fromAttribute(f, item[f.name]);
  const text = (name: string) => (typeof item[name] === 'string' ? (item[name] as string) : undefined);
  return {
    id: item.id as string,
    values,
    meta: {
      created_at: text('_created_at') ?? '',
      updated_at: text('_updated_at') ?? '',
      created_by: text('_created_by'),
      updated_by: text('_updated_by'),
      job_id: text('_job_id'),
    },
  };
}

function fromAttribute(f: FieldDefinition, raw: unknown): FieldValue {
  if (raw === undefined || raw === null) return f.type === 'many_to_many' ? [] : null;
  const number = raw instanceof NumberValue ? raw.toString() : typeof raw === 'number' ? String(raw) : undefined;
  switch (f.type) {
    case 'decimal':
      return fixedScale(number ?? String(raw), f.scale ?? 0);
    case 'integer':
      return Number(number ?? raw);
    case 'json':
      return JSON.parse(raw as string) as FieldValue;
    case 'many_to_many':
      return [...(raw as Iterable<string>)];
    default:
      return raw as FieldValue;
  }
}

/** DynamoDB returns numbers in its own normal form (`12.5`, `1E+3`); restore `12.50`. */
export function fixedScale(text: string, scale: number): string {
  const match = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text.trim());
  if (!match) throw new Error(`not a decimal number: ${text}`);
  const [, sign, intPart = '', fracPart = '', exp = '0'] = match;
  let digits = intPart + fracPart;
  let point = intPart.length + Number(exp);
  if (point < 0) {
    digits = '0'.repeat(-point) + digits;
    point = 0;
  }
  if (point > digits.length) digits += '0'.repeat(point - digits.length);
  const whole = digits.slice(0, point).replace(/^0+(?=\d)/, '') || '0';
  const fraction = digits.slice(point).padEnd(scale, '0');
  if (fraction.length > scale && /[1-9]/.test(fraction.slice(scale))) throw new Error(`${text} has more than ${scale} decimal places`);
  const kept = fraction.slice(0, scale);
  const isZero = /^0*$/.test(whole + kept);
  return `${sign && !isZero ? '-' : ''}${whole}${scale > 0 ? `.${kept}` : ''}`;
}
