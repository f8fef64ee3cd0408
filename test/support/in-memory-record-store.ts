import { ConflictError } from '../../layers/core/errors';
import type { FieldType, FieldValue, ModelDefinition, StoredRecord } from '../../layers/core/model/types';
import type { RecordStore, RecordWrite, ScanOptions, StoreFilter, StoreScalar } from '../../layers/core/ports/record-store';
import { compareDecimal } from '../../layers/core/util/decimal';

/** Methods of RecordStore whose calls are counted. */
export type RecordStoreMethod = 'getByIds' | 'findByUnique' | 'write' | 'scan';

const PAGE_SIZE = 100;

/**
 * A RecordStore held in memory, for unit tests and the contract suite. It counts calls per method
 * so tests can assert that callers batch their lookups.
 */
export class InMemoryRecordStore implements RecordStore {
  /** Calls per method since creation or the last `resetCalls()`. */
  readonly calls: Record<RecordStoreMethod, number> = { getByIds: 0, findByUnique: 0, write: 0, scan: 0 };
  private readonly records = new Map<string, Map<string, StoredRecord>>();
  private readonly uniqueIndex = new Map<string, Map<string, string>>();

  async getByIds(org: string, model: ModelDefinition, ids: readonly string[]): Promise<Map<string, StoredRecord>> {
    this.calls.getByIds += 1;
    const table = this.table(org, model);
    const found = new Map<string, StoredRecord>();
    for (const id of ids) {
      const record = table.get(id);
      if (record) found.set(id, structuredClone(record));
    }
    return found;
  }

  async findByUnique(org: string, model: ModelDefinition, field: string, values: readonly string[]): Promise<Map<string, string>> {
    this.calls.findByUnique += 1;
    const index = this.index(org, model, field);
    const found = new Map<string, string>();
    for (const value of values) {
      const id = index.get(value);
      if (id !== undefined) found.set(value, id);
    }
    return found;
  }

  async write(org: string, model: ModelDefinition, writes: readonly RecordWrite[]): Promise<void> {
    this.calls.write += 1;
    for (const { record } of writes) this.put(org, model, record);
  }

  async *scan(org: string, model: ModelDefinition, options: ScanOptions): AsyncIterable<StoredRecord[]> {
    this.calls.scan += 1;
    const mine = [...this.table(org, model).values()]
      .filter((record) => stableHash(record.id) % options.totalSegments === options.segment)
      .filter((record) => options.filter === undefined || matchesStoreFilter(model, options.filter, record))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (let start = 0; start < mine.length; start += PAGE_SIZE) {
      yield mine.slice(start, start + PAGE_SIZE).map((record) => structuredClone(record));
    }
  }

  /** Stores records directly (no call counted), e.g. to arrange a test. */
  seed(org: string, model: ModelDefinition, records: readonly StoredRecord[]): void {
    for (const record of records) this.put(org, model, record);
  }

  /** Every record of one model of one organization, sorted by id (no call counted). */
  all(org: string, model: ModelDefinition): StoredRecord[] {
    return [...this.table(org, model).values()].sort((a, b) => (a.id < b.id ? -1 : 1)).map((r) => structuredClone(r));
  }

  /** Sets every call counter back to zero. */
  resetCalls(): void {
    for (const method of Object.keys(this.calls) as RecordStoreMethod[]) this.calls[method] = 0;
  }

  private put(org: string, model: ModelDefinition, record: StoredRecord): void {
    const table = this.table(org, model);
    const stored = table.get(record.id);
    const uniqueFields = Object.values(model.fields).filter((f) => f.unique);
    // Check every unique value first so a rejected write changes nothing, as a transaction would.
    for (const f of uniqueFields) {
      const value = record.values[f.name];
      if (value === null || value === undefined) continue;
      const holder = this.index(org, model, f.name).get(String(value));
      if (holder !== undefined && holder !== record.id) {
        throw new ConflictError(`${model.plural}.${f.name} "${String(value)}" is already used by '${holder}'`);
      }
    }
    for (const f of uniqueFields) {
      const index = this.index(org, model, f.name);
      const old = stored?.values[f.name];
      if (old !== null && old !== undefined && index.get(String(old)) === record.id) index.delete(String(old));
      const value = record.values[f.name];
      if (value !== null && value !== undefined) index.set(String(value), record.id);
    }
    table.set(record.id, structuredClone(record));
  }

  private table(org: string, model: ModelDefinition): Map<string, StoredRecord> {
    const key = `${org}#${model.plural}`;
    let table = this.records.get(key);
    if (!table) {
      table = new Map();
      this.records.set(key, table);
    }
    return table;
  }

  private index(org: string, model: ModelDefinition, field: string): Map<string, string> {
    const key = `${org}#${model.plural}#${field}`;
    let index = this.uniqueIndex.get(key);
    if (!index) {
      index = new Map();
      this.uniqueIndex.set(key, index);
    }
    return index;
  }
}

const SCALAR_TYPES = new Set<FieldType>(['string', 'text', 'email', 'choice', 'foreign_key', 'integer', 'decimal', 'date', 'datetime', 'boolean']);

/**
 * The store filter semantics of the port, written apart from the core's filter evaluation so the
 * two check each other: null fails everything but `ne` and `isnull: true`, numbers compare as
 * numbers (decimals exactly), strings by their UTF-8 bytes as DynamoDB compares them.
 */
export function matchesStoreFilter(model: ModelDefinition, filter: StoreFilter, record: StoredRecord): boolean {
  if ('and' in filter) return filter.and.every((part) => matchesStoreFilter(model, part, record));
  if ('or' in filter) return filter.or.some((part) => matchesStoreFilter(model, part, record));
  if ('not' in filter) return !matchesStoreFilter(model, filter.not, record);
  const type = filter.field === 'id' ? 'string' : model.fields[filter.field]?.type;
  if (type === undefined || !SCALAR_TYPES.has(type)) throw new Error(`store filter on ${model.plural}: '${filter.field}' is not a scalar field`);
  const actual: FieldValue = filter.field === 'id' ? record.id : (record.values[filter.field] ?? null);
  if (filter.op === 'isnull') return (actual === null) === filter.value;
  if (filter.op === 'ne') return actual === null || compareScalar(type, actual, filter.value) !== 0;
  if (actual === null) return false;
  switch (filter.op) {
    case 'eq':
      return compareScalar(type, actual, filter.value) === 0;
    case 'lt':
      return compareScalar(type, actual, filter.value) < 0;
    case 'lte':
      return compareScalar(type, actual, filter.value) <= 0;
    case 'gt':
      return compareScalar(type, actual, filter.value) > 0;
    case 'gte':
      return compareScalar(type, actual, filter.value) >= 0;
    case 'between':
      return compareScalar(type, actual, filter.value[0]) >= 0 && compareScalar(type, actual, filter.value[1]) <= 0;
    case 'in':
      return filter.value.some((item) => compareScalar(type, actual, item) === 0);
    case 'contains':
      return typeof actual === 'string' && actual.includes(filter.value);
    case 'startswith':
      return typeof actual === 'string' && actual.startsWith(filter.value);
  }
}

function compareScalar(type: FieldType, actual: FieldValue, expected: StoreScalar): number {
  if (type === 'decimal') return compareDecimal(String(actual), String(expected));
  if (type === 'integer') return Number(actual) - Number(expected);
  if (type === 'boolean') return Number(actual === true) - Number(expected === true);
  return Buffer.compare(Buffer.from(String(actual), 'utf8'), Buffer.from(String(expected), 'utf8'));
}

/** FNV-1a: stable across runs and processes, unlike anything keyed on insertion order. */
function stableHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
