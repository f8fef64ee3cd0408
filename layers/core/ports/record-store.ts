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
}

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
