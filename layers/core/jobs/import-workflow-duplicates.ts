import type { RowError } from './data-job';

/**
 * A unique-value claim as a chunk stores it for the Decide step: `[field, value, row]`, where
 * field is a unique field or `'id'`. A tuple, not an object: a chunk writes thousands.
 */
export type StoredClaim = readonly [field: string, value: string, row: number];

/** Slots a hash table starts with; it doubles whenever it is half full. */
const INITIAL_SLOTS = 1 << 16;

/**
 * An open-addressing set of 64-bit hashes, each with the first row that claimed it, in typed
 * arrays: 12 bytes a slot and at most two slots an entry, so about 24 bytes per distinct claim
 * (24 MB for 1,000,000), against some 150 bytes for a `Map` entry keyed by the value's text.
 */
export class ClaimHashTable {
  /** Two words per slot (high, low); a slot holding (0, 0) is empty, so no hash is ever (0, 0). */
  private keys = new Uint32Array(INITIAL_SLOTS * 2);
  private rows = new Uint32Array(INITIAL_SLOTS);
  private count = 0;

  /** Distinct hashes held. */
  get size(): number {
    return this.count;
  }

  /** Bytes of the typed arrays: the table's whole memory. */
  get bytes(): number {
    return this.keys.byteLength + this.rows.byteLength;
  }

  /** Adds a hash with the row that claims it; returns the row of an earlier claim of the same hash, if any. */
  claim(high: number, low: number, row: number): number | undefined {
    const slot = this.slotOf(high, low);
    if (this.keys[slot * 2] !== 0 || this.keys[slot * 2 + 1] !== 0) return this.rows[slot];
    this.keys[slot * 2] = high;
    this.keys[slot * 2 + 1] = low;
    this.rows[slot] = row;
    this.count += 1;
    if (this.count * 2 > this.rows.length) this.grow();
    return undefined;
  }

  /** Whether the hash was added. */
  has(high: number, low: number): boolean {
    const slot = this.slotOf(high, low);
    return this.keys[slot * 2] !== 0 || this.keys[slot * 2 + 1] !== 0;
  }

  /** The slot holding the hash, or the empty slot where it goes (linear probing). */
  private slotOf(high: number, low: number): number {
    const mask = this.rows.length - 1;
    for (let slot = low & mask; ; slot = (slot + 1) & mask) {
      const h = this.keys[slot * 2];
      const l = this.keys[slot * 2 + 1];
      if ((h === 0 && l === 0) || (h === high && l === low)) return slot;
    }
  }

  private grow(): void {
    const keys = this.keys;
    const rows = this.rows;
    this.keys = new Uint32Array(keys.length * 2);
    this.rows = new Uint32Array(rows.length * 2);
    for (let slot = 0; slot < rows.length; slot += 1) {
      const high = keys[slot * 2]!;
      const low = keys[slot * 2 + 1]!;
      if (high === 0 && low === 0) continue;
      const to = this.slotOf(high, low);
      this.keys[to * 2] = high;
      this.keys[to * 2 + 1] = low;
      this.rows[to] = rows[slot]!;
    }
  }
}

/**
 * A 64-bit hash of a claim's field and value as two unsigned 32-bit words (cyrb53's two lanes,
 * kept whole). Its quality only decides how often the exact second pass has work to do: a
 * collision can never turn into a wrong error, because that pass compares the values themselves.
 */
export function claimHash(field: string, value: string): [high: number, low: number] {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  // Two loops rather than hashing `field + '\0' + value`: no string is built per claim.
  for (let i = 0; i < field.length; i += 1) {
    const code = field.charCodeAt(i);
    h1 = Math.imul(h1 ^ code, 2654435761);
    h2 = Math.imul(h2 ^ code, 1597334677);
  }
  h1 = Math.imul(h1, 2654435761);
  h2 = Math.imul(h2, 1597334677);
  for (let i = 0; i < value.length; i += 1) {
    const code = value.charCodeAt(i);
    h1 = Math.imul(h1 ^ code, 2654435761);
    h2 = Math.imul(h2 ^ code, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  const high = h1 >>> 0;
  const low = h2 >>> 0;
  return high === 0 && low === 0 ? [0, 1] : [high, low];
}

/** Where the duplicate finder reads claims from. */
export interface ClaimSource {
  /** The chunks in file order (each chunk's rows come after the previous chunk's). */
  readonly chunks: readonly number[];
  /** One chunk's claims, in row order. */
  claimsOf(chunk: number): Promise<readonly StoredClaim[]>;
  /** The chunk holding a row. */
  chunkOfRow(row: number): number;
}

/** What the finder saw, for the docs' memory bound and the tests. */
export interface DuplicateScan {
  /** Claims read in the first pass. */
  readonly claims: number;
  /** Distinct (field, value) hashes. */
  readonly distinct: number;
  /** Hashes claimed by more than one row: the only values the second pass keeps as text. */
  readonly repeatedHashes: number;
  /** Chunks the second pass read again. */
  readonly rereadChunks: number;
  /** Duplicate errors found. */
  readonly duplicates: number;
  /** Bytes of the hash tables at their largest. */
  readonly tableBytes: number;
}

/**
 * Finds values of unique fields (and import ids) claimed by more than one row of a file, across
 * all its chunks, with the same outcome as `findDuplicateClaims` over every claim at once: the
 * first (lowest) row keeps its value, every later row gets a `unique` error naming that row.
 *
 * 1. First pass, chunk by chunk in file order: add each claim's 64-bit hash to a compact table
 *    with the row that claimed it first. A hash seen again is noted as repeated, and the chunks
 *    of both rows are noted for the second pass. Memory: about 24 bytes per distinct claim.
 * 2. No repeated hash: no duplicates; done, each chunk read once.
 * 3. Second pass over the noted chunks only, in file order: for claims whose hash repeated,
 *    compare the values themselves (a map from field and value to first row, holding only
 *    those values), so a hash collision never makes an error. Each chunk's errors are handed to
 *    `onChunk` as soon as the chunk is done, so they are never all in memory at once.
 */
export async function findDuplicatesAcrossChunks(
  source: ClaimSource,
  resolveColumn: (field: string) => string | null,
  onChunk: (chunk: number, errors: RowError[]) => Promise<void>,
  options: { hash?: (field: string, value: string) => [high: number, low: number] } = {},
): Promise<DuplicateScan> {
  const hash = options.hash ?? claimHash;
  const firstRows = new ClaimHashTable();
  const repeated = new ClaimHashTable();
  const reread = new Set<number>();
  let claims = 0;
  for await (const [chunk, chunkClaims] of loadInOrder(source.chunks, (c) => source.claimsOf(c))) {
    for (const [field, value, row] of chunkClaims) {
      claims += 1;
      const [high, low] = hash(field, value);
      const first = firstRows.claim(high, low, row);
      if (first === undefined || first === row) continue;
      repeated.claim(high, low, row);
      reread.add(chunk);
      reread.add(source.chunkOfRow(first));
    }
  }
  const tableBytes = firstRows.bytes + repeated.bytes;
  let duplicates = 0;
  if (repeated.size > 0) {
    const exactFirst = new Map<string, number>();
    const chunks = source.chunks.filter((c) => reread.has(c));
    for await (const [chunk, chunkClaims] of loadInOrder(chunks, (c) => source.claimsOf(c))) {
      const errors: RowError[] = [];
      for (const [field, value, row] of chunkClaims) {
        const [high, low] = hash(field, value);
        if (!repeated.has(high, low)) continue;
        const key = `${field}\u0000${value}`;
        const first = exactFirst.get(key);
        if (first === undefined) exactFirst.set(key, row);
        else if (first !== row) errors.push(duplicateError(field, value, row, first, resolveColumn));
      }
      duplicates += errors.length;
      if (errors.length > 0) await onChunk(chunk, errors);
    }
  }
  return { claims, distinct: firstRows.size, repeatedHashes: repeated.size, rereadChunks: repeated.size > 0 ? reread.size : 0, duplicates, tableBytes };
}

function duplicateError(field: string, value: string, row: number, first: number, resolveColumn: (field: string) => string | null): RowError {
  // The same error `findDuplicateClaims` makes.
  return { row, column: resolveColumn(field), field, value, code: 'unique', message: `"${value}" is already used by row ${first} of this file` };
}

/**
 * Loads items in order with up to `ahead` loads in flight, yielding each with its result: the
 * reads of many small files overlap, while memory holds at most `ahead` results at a time.
 */
export async function* loadInOrder<T, R>(items: readonly T[], load: (item: T) => Promise<R>, ahead = 4): AsyncGenerator<[T, R]> {
  const pending: Array<Promise<R>> = [];
  let next = 0;
  const fill = () => {
    while (next < items.length && pending.length < ahead) {
      const loading = load(items[next]!);
      // Handled when its turn comes; until then a rejection must not count as unhandled.
      loading.catch(() => undefined);
      pending.push(loading);
      next += 1;
    }
  };
  for (let i = 0; i < items.length; i += 1) {
    fill();
    const result = await pending.shift()!;
    yield [items[i]!, result];
  }
}
