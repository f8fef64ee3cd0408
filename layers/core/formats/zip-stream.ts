import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createInflateRaw } from 'node:zlib';
import { FileFormatError } from '../errors';
import { xlsxInflatesTooMuch, xlsxTooManyEntries } from './limits';

const EMPTY = Buffer.alloc(0);
const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const ZIP64_END_OF_CENTRAL_DIRECTORY = 0x06064b50;
const DATA_DESCRIPTOR = Buffer.from([0x50, 0x4b, 0x07, 0x08]);
const ZIP64_EXTRA = 0x0001;
const STORED = 0;
const DEFLATED = 8;
/** Bit 3 of the flags: sizes and CRC follow the data in a descriptor (streaming writers). */
const FLAG_DESCRIPTOR = 0x08;
const FLAG_ENCRYPTED = 0x01;
const FLAG_UTF8 = 0x800;
const READ_BYTES = 64 * 1024;
/**
 * Bytes zlib inflates into per output chunk: a sheet inflates to hundreds of MB, and each chunk
 * costs a round trip to zlib's thread, so larger ones cost noticeably less CPU (readers cut the
 * text into smaller pieces themselves).
 */
const INFLATE_BYTES = 1024 * 1024;

/** The message every unreadable workbook fails with (followed by what is wrong, when known). */
export const NOT_A_WORKBOOK = 'the file is not a readable XLSX workbook';

/** One entry of a zip archive, as its local header describes it. */
export interface ZipEntry {
  /** Path inside the archive, without a leading `/`. */
  readonly name: string;
  /** 0 = stored, 8 = deflated. */
  readonly method: number;
  /** Size of the data in the archive, when the local header declares it (no data descriptor). */
  readonly compressedSize?: number;
  /** Size once inflated, when the local header declares it. */
  readonly size?: number;
}

/**
 * Bytes inflated so far against the limit, shared by every entry of one archive: a zip bomb is
 * caught by what it actually inflates to, whatever its headers declare.
 */
export class InflateBudget {
  private used = 0;
  private declared = 0;

  constructor(readonly max: number) {}

  /** Counts inflated bytes. @throws XlsxTooLargeError past the limit */
  spend(bytes: number): void {
    this.used += bytes;
    if (this.used > this.max) throw xlsxInflatesTooMuch(this.max);
  }

  /** Counts the size a local header declares, before its entry is inflated. @throws XlsxTooLargeError past the limit */
  declare(bytes: number): void {
    this.declared += bytes;
    if (this.declared > this.max) throw xlsxInflatesTooMuch(this.max, this.declared);
  }

  /** Checks the total the central directory declares for the whole archive. @throws XlsxTooLargeError past the limit */
  declareTotal(bytes: number): void {
    if (bytes > this.max) throw xlsxInflatesTooMuch(this.max, bytes);
  }
}

/** Errors thrown by the input stream itself: passed on as they are, not as an unreadable file. */
const sourceErrors = new WeakSet<object>();

/** Whether `error` came from the input stream rather than from reading the archive. */
export function isSourceError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && sourceErrors.has(error);
}

/** Pulls bytes from a stream on demand, with room to give some back. */
class ByteSource {
  private head: Buffer = EMPTY;
  private readonly iterator: AsyncIterator<unknown>;

  constructor(input: AsyncIterable<unknown>) {
    this.iterator = input[Symbol.asyncIterator]();
  }

  /** Up to `max` bytes, pulling from the stream only when nothing is buffered; empty at its end. */
  async some(max = READ_BYTES): Promise<Buffer> {
    if (this.head.length === 0) this.head = await this.pull();
    const out = this.head.length <= max ? this.head : this.head.subarray(0, max);
    this.head = this.head.subarray(out.length);
    return out;
  }

  /** Exactly `count` bytes, or fewer at the end of the stream. */
  async take(count: number): Promise<Buffer> {
    while (this.head.length < count) {
      const more = await this.pull();
      if (more.length === 0) break;
      this.head = this.head.length === 0 ? more : Buffer.concat([this.head, more]);
    }
    const out = this.head.subarray(0, count);
    this.head = this.head.subarray(out.length);
    return out;
  }

  /** Gives bytes back, to be read first. */
  unshift(bytes: Buffer): void {
    if (bytes.length > 0) this.head = this.head.length === 0 ? bytes : Buffer.concat([bytes, this.head]);
  }

  async close(): Promise<void> {
    await this.iterator.return?.().catch(() => undefined);
  }

  private async pull(): Promise<Buffer> {
    let next: IteratorResult<unknown>;
    try {
      next = await this.iterator.next();
    } catch (error) {
      if (typeof error === 'object' && error !== null) sourceErrors.add(error);
      throw error;
    }
    if (next.done) return EMPTY;
    const chunk = next.value;
    if (Buffer.isBuffer(chunk)) return chunk;
    if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    throw new TypeError(`expected bytes from the input stream, got ${typeof chunk}`);
  }
}

/**
 * Reads a zip archive front to back as it streams, entry by entry, without seeking: each entry's
 * local header, then its data, which the caller inflates, copies or skips. At the central
 * directory it checks the entry count and the declared sizes of the whole archive.
 *
 * Limits hold whatever the headers say: entries are counted as they come, declared sizes are added
 * up before anything is inflated, and `inflate` counts the bytes it actually produces.
 */
export class ZipStreamReader {
  private readonly source: ByteSource;
  private entries = 0;
  /** The data of the current entry not yet read, if any. */
  private pending: AsyncGenerator<Buffer> | undefined;

  constructor(
    input: AsyncIterable<unknown>,
    private readonly limits: { readonly maxEntries: number },
    /** Declared sizes count against it; pass the same budget to `inflate`. */
    readonly budget: InflateBudget,
  ) {
    this.source = new ByteSource(input);
  }

  /**
   * The next entry, once the previous one's data is passed; undefined after the last one, when the
   * central directory has been checked.
   * @throws FileFormatError when the bytes are not a zip archive; XlsxTooLargeError over a limit
   */
  async next(): Promise<ZipEntry | undefined> {
    if (this.pending) await this.skip();
    const signature = await this.source.take(4);
    if (signature.length === 0 && this.entries === 0) throw new FileFormatError(`${NOT_A_WORKBOOK}: it is empty`);
    if (signature.length < 4) {
      if (this.entries === 0) throw new FileFormatError(`${NOT_A_WORKBOOK}: it is too short`);
      throw unreadable('it ends before its central directory');
    }
    const kind = signature.readUInt32LE(0);
    if (kind === LOCAL_HEADER) return this.localEntry();
    if (this.entries === 0) throw new FileFormatError(`${NOT_A_WORKBOOK}: it is not a zip archive`);
    if (kind === CENTRAL_HEADER) {
      await this.centralDirectory();
      return undefined;
    }
    if (kind === END_OF_CENTRAL_DIRECTORY || kind === ZIP64_END_OF_CENTRAL_DIRECTORY) return undefined;
    throw unreadable('an entry is followed by unexpected bytes');
  }

  /** The current entry's data as stored (compressed), chunk by chunk. */
  data(): AsyncGenerator<Buffer> {
    const data = this.pending;
    if (!data) throw new Error('no entry data to read: call next() first');
    this.pending = undefined;
    return data;
  }

  /** Passes over the rest of the current entry's data. */
  async skip(): Promise<void> {
    const data = this.pending;
    this.pending = undefined;
    if (data) for await (const chunk of data) void chunk;
  }

  /** Stops reading the input. */
  async close(): Promise<void> {
    await this.pending?.return(undefined);
    await this.source.close();
  }

  private async localEntry(): Promise<ZipEntry> {
    this.entries += 1;
    if (this.entries > this.limits.maxEntries) throw xlsxTooManyEntries(this.limits.maxEntries);
    const header = await this.source.take(26);
    if (header.length < 26) throw unreadable('it ends inside an entry header');
    const flags = header.readUInt16LE(2);
    const method = header.readUInt16LE(4);
    let compressedSize = header.readUInt32LE(14);
    let size = header.readUInt32LE(18);
    const nameLength = header.readUInt16LE(22);
    const extraLength = header.readUInt16LE(24);
    const rest = await this.source.take(nameLength + extraLength);
    if (rest.length < nameLength + extraLength) throw unreadable('it ends inside an entry header');
    const name = rest.toString(flags & FLAG_UTF8 ? 'utf8' : 'latin1', 0, nameLength).replace(/^\/+/, '');
    const zip64 = readZip64Sizes(rest.subarray(nameLength), size, compressedSize);
    if (zip64) ({ size, compressedSize } = zip64);
    if (flags & FLAG_ENCRYPTED) throw new FileFormatError(`${NOT_A_WORKBOOK}: it is encrypted (save it without a password)`);
    if (method !== STORED && method !== DEFLATED) throw unreadable(`its entry ${name} uses compression method ${method}; save it again from Excel`);
    const described = (flags & FLAG_DESCRIPTOR) !== 0;
    if (!described) this.budget.declare(size);
    this.pending = described ? this.untilDescriptor(zip64 !== undefined) : this.exactly(compressedSize);
    return described ? { name, method } : { name, method, compressedSize, size };
  }

  private async *exactly(count: number): AsyncGenerator<Buffer> {
    let left = count;
    while (left > 0) {
      const chunk = await this.source.some(Math.min(left, READ_BYTES));
      if (chunk.length === 0) throw unreadable('it ends inside an entry');
      left -= chunk.length;
      yield chunk;
    }
  }

  /**
   * Data whose size follows it in a descriptor (`PK\7\8`, CRC, sizes). The descriptor is found by
   * its signature followed by the exact number of bytes read so far, which data cannot fake.
   */
  private async *untilDescriptor(zip64: boolean): AsyncGenerator<Buffer> {
    const descriptorLength = zip64 ? 24 : 16;
    let passed = 0;
    let held: Buffer = EMPTY;
    for (;;) {
      const more = await this.source.some();
      if (more.length === 0) throw unreadable('it ends inside an entry');
      const bytes = held.length > 0 ? Buffer.concat([held, more]) : more;
      let from = 0;
      let keep = Math.max(0, bytes.length - (descriptorLength - 1));
      for (;;) {
        const at = bytes.indexOf(DATA_DESCRIPTOR, from);
        if (at === -1) break;
        if (at + descriptorLength > bytes.length) {
          keep = Math.min(keep, at);
          break;
        }
        const size = zip64 ? bytes.readUInt32LE(at + 8) + bytes.readUInt32LE(at + 12) * 2 ** 32 : bytes.readUInt32LE(at + 8);
        if (size === passed + at) {
          if (at > 0) yield bytes.subarray(0, at);
          this.source.unshift(bytes.subarray(at + descriptorLength));
          return;
        }
        from = at + 1;
      }
      if (keep > 0) yield bytes.subarray(0, keep);
      passed += keep;
      held = Buffer.from(bytes.subarray(keep));
    }
  }

  /**
   * Checks the central directory: every entry counted, every declared size added up (the sizes of
   * entries written with descriptors are known only here). Entries spooled earlier are inflated
   * only after this check.
   */
  private async centralDirectory(): Promise<void> {
    let declared = 0;
    let count = 0;
    for (let signature = CENTRAL_HEADER; signature === CENTRAL_HEADER; ) {
      count += 1;
      if (count > this.limits.maxEntries) throw xlsxTooManyEntries(this.limits.maxEntries);
      const header = await this.source.take(42);
      if (header.length < 42) throw unreadable('it ends inside its central directory');
      const nameLength = header.readUInt16LE(24);
      const extraLength = header.readUInt16LE(26);
      const variable = nameLength + extraLength + header.readUInt16LE(28);
      const rest = await this.source.take(variable);
      if (rest.length < variable) throw unreadable('it ends inside its central directory');
      const size = header.readUInt32LE(20);
      declared += readZip64Sizes(rest.subarray(nameLength, nameLength + extraLength), size, header.readUInt32LE(16))?.size ?? size;
      this.budget.declareTotal(declared);
      const next = await this.source.take(4);
      signature = next.length === 4 ? next.readUInt32LE(0) : 0;
    }
  }
}

/**
 * The bytes of a stored or deflated entry, inflated chunk by chunk, counted against `budget` as
 * they come out, so inflating stops just past the limit whatever the entry claims.
 * @throws XlsxTooLargeError past the budget; FileFormatError when the data is not valid deflate
 */
export async function* inflate(data: AsyncIterable<Buffer>, method: number, budget: InflateBudget): AsyncGenerator<Buffer> {
  if (method === STORED) {
    for await (const chunk of data) {
      budget.spend(chunk.length);
      yield chunk;
    }
    return;
  }
  const inflater = createInflateRaw({ chunkSize: INFLATE_BYTES });
  const source = Readable.from(data, { objectMode: false });
  const feeding = pipeline(source, inflater).then(
    () => undefined,
    (error: unknown) => error,
  );
  let failure: unknown;
  try {
    for await (const chunk of inflater as AsyncIterable<Buffer>) {
      budget.spend(chunk.length);
      yield chunk;
    }
  } catch (error) {
    failure = error;
  } finally {
    // Also when the consumer stops early: nothing more is inflated.
    if (!inflater.destroyed) inflater.destroy();
    if (!source.destroyed) source.destroy();
  }
  const fed = await feeding;
  const error = failure ?? fed;
  if (error === undefined) return;
  if (isZlibError(error)) throw unreadable('an entry is not valid deflate data', error);
  throw error;
}

/** Entries kept on disk, as stored (compressed), until the parts needed to read them have come. */
export class Spool {
  private handle: FileHandle | undefined;
  private dir: string | undefined;
  private length = 0;

  /** Copies an entry's stored bytes to the spool file; returns where they are. */
  async write(data: AsyncIterable<Buffer>): Promise<{ readonly start: number; readonly length: number }> {
    if (!this.handle) {
      this.dir = await mkdtemp(join(tmpdir(), 'dataio-xlsx-'));
      this.handle = await open(join(this.dir, 'entries.bin'), 'w+');
    }
    const start = this.length;
    for await (const chunk of data) {
      await this.handle.write(chunk, 0, chunk.length, this.length);
      this.length += chunk.length;
    }
    return { start, length: this.length - start };
  }

  /** The stored bytes of a spooled entry. */
  read(entry: { readonly start: number; readonly length: number }): AsyncIterable<Buffer> {
    if (!this.dir || entry.length === 0) return Readable.from([]);
    return createReadStream(join(this.dir, 'entries.bin'), { start: entry.start, end: entry.start + entry.length - 1, highWaterMark: READ_BYTES });
  }

  /** Deletes the spool file. */
  async dispose(): Promise<void> {
    await this.handle?.close().catch(() => undefined);
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
    this.handle = undefined;
    this.dir = undefined;
  }
}

/** Sizes from a zip64 extended-information extra field, when the 32-bit ones say to look there. */
function readZip64Sizes(extra: Buffer, size: number, compressedSize: number): { size: number; compressedSize: number } | undefined {
  for (let i = 0; i + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(i);
    const length = extra.readUInt16LE(i + 2);
    if (id === ZIP64_EXTRA) {
      let at = i + 4;
      const end = at + length;
      const read64 = (): number => {
        if (at + 8 > end || at + 8 > extra.length) return 0;
        const value = extra.readUInt32LE(at) + extra.readUInt32LE(at + 4) * 2 ** 32;
        at += 8;
        return value;
      };
      const fullSize = size === 0xffffffff ? read64() : size;
      const fullCompressed = compressedSize === 0xffffffff ? read64() : compressedSize;
      return { size: fullSize, compressedSize: fullCompressed };
    }
    i += 4 + length;
  }
  return undefined;
}

function unreadable(detail: string, cause?: unknown): FileFormatError {
  return new FileFormatError(`${NOT_A_WORKBOOK}: ${detail}`, cause === undefined ? undefined : { cause });
}

function isZlibError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}
