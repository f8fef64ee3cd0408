import type { ModelDefinition, StoredRecord } from '../model/types';

/** One record to write, with the stored version it replaces (to maintain unique-value entries). */
export interface RecordWrite {
  readonly record: StoredRecord;
  /** The record as stored before this write, when the write updates an existing record. */
  readonly previous?: StoredRecord;
}

/** Options of a segmented scan over one model of one organization. */
export interface ScanOptions {
  /** Zero-based segment number; segments partition the records with no overlap. */
  readonly segment: number;
  /** Number of segments the caller splits the scan into. */
  readonly totalSegments: number;
  /**
   * Only records for which this filter holds are returned. The filter is applied exactly (never
   * partially), so it must stay within `STORE_FILTER_LIMITS`.
   * @default every record of the segment
   */
  readonly filter?: StoreFilter;
}

/**
 * A value a store filter compares a field with, in the field's canonical form (see `FieldValue`):
 * numbers for integers, canonical decimal strings for decimals (compared as numbers), booleans,
 * and strings for the other scalar types (dates and date-times as ISO text).
 */
export type StoreScalar = string | number | boolean;

/**
 * One condition of a store filter on `id` or a scalar field of the scanned model (never JSON or
 * many-to-many). A field without a value (null, absent) fails every condition except `ne`,
 * `isnull: true` and a surrounding `not`. Strings compare by their UTF-8 bytes (code point order),
 * as DynamoDB does; decimals and integers numerically.
 */
export type StoreCondition =
  | { readonly field: string; readonly op: 'eq' | 'ne' | 'lt' | 'lte' | 'gt' | 'gte'; readonly value: StoreScalar }
  /** Inclusive on both ends. */
  | { readonly field: string; readonly op: 'between'; readonly value: readonly [StoreScalar, StoreScalar] }
  /** One to `STORE_FILTER_LIMITS.maxInValues` values. */
  | { readonly field: string; readonly op: 'in'; readonly value: readonly StoreScalar[] }
  /** Case-sensitive substring / prefix of a string field; the value is not empty. */
  | { readonly field: string; readonly op: 'contains' | 'startswith'; readonly value: string }
  /** `true`: the field has no value; `false`: it has one. */
  | { readonly field: string; readonly op: 'isnull'; readonly value: boolean };

/**
 * A filter a RecordStore evaluates while it reads, so records that cannot match are never sent
 * back (DynamoDB: a FilterExpression). Plain data, so it can be logged and tested as is.
 */
export type StoreFilter =
  | StoreCondition
  | { readonly and: readonly StoreFilter[] }
  | { readonly or: readonly StoreFilter[] }
  | { readonly not: StoreFilter };

/**
 * What every adapter accepts in one store filter: DynamoDB allows 100 operands in `IN` and 4 KB of
 * expression text, which these bounds keep well below.
 */
export const STORE_FILTER_LIMITS = {
  /** Conditions in the whole filter. */
  maxConditions: 40,
  /** Values in the whole filter. */
  maxValues: 200,
  /** Values in one `in` condition. */
  maxInValues: 100,
} as const;

/**
 * Persistence of business records, always scoped to one organization and one model.
 * Writes are idempotent: writing the same records twice leaves the same state.
 */
export interface RecordStore {
  /** Loads the records with the given ids; missing ids are absent from the map. */
  getByIds(org: string, model: ModelDefinition, ids: readonly string[]): Promise<Map<string, StoredRecord>>;
  /**
   * Finds which record holds each value of a unique field.
   * @returns a map from value to the id of the record holding it; values nobody holds are absent.
   */
  findByUnique(org: string, model: ModelDefinition, field: string, values: readonly string[]): Promise<Map<string, string>>;
  /** Writes records (create or replace) and keeps unique-value entries in step. */
  write(org: string, model: ModelDefinition, writes: readonly RecordWrite[]): Promise<void>;
  /** Streams the records of one segment, page by page. */
  scan(org: string, model: ModelDefinition, options: ScanOptions): AsyncIterable<StoredRecord[]>;
}
