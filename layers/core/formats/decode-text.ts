import { TextDecoder } from 'node:util';
import { FileFormatError } from '../errors';

const EMPTY = Buffer.alloc(0);

/** Bytes needed to recognise every byte order mark handled here (UTF-8's is the longest). */
const BOM_PROBE_BYTES = 3;

/**
 * The canonical name of a WHATWG encoding label (`latin1` → `windows-1252`, `utf8` → `utf-8`).
 * @throws FileFormatError naming the label when the runtime's TextDecoder does not know it
 */
export function resolveEncoding(label: string): string {
  try {
    return new TextDecoder(label).encoding;
  } catch (error) {
    throw new FileFormatError(`unknown encoding '${label}': use a WHATWG label such as utf-8, windows-1252, latin1 or utf-16le`, { cause: error });
  }
}

/**
 * Decodes a byte stream into text chunks, holding only one chunk at a time.
 *
 * 1. Sniff a byte order mark, which wins over the declared encoding as in the WHATWG decode
 *    algorithm: UTF-8's is skipped, UTF-16 LE/BE ones (Excel's "Unicode Text") switch to UTF-16.
 * 2. Decode strictly in streaming mode, so characters split across chunks survive and invalid
 *    bytes fail instead of turning into U+FFFD and silently corrupting the import.
 *
 * String chunks (a stream already decoded) pass through; a leading U+FEFF is dropped.
 * @throws FileFormatError for an unknown encoding or bytes invalid in it
 */
export async function* decodeText(input: AsyncIterable<unknown>, encoding?: string): AsyncGenerator<string> {
  const declared = encoding === undefined ? 'utf-8' : resolveEncoding(encoding);
  let decoder: ChunkDecoder | undefined;
  let probe: Buffer = EMPTY;
  let first = true;
  for await (const chunk of input) {
    if (typeof chunk === 'string') {
      const text = first && chunk.startsWith('\uFEFF') ? chunk.slice(1) : chunk;
      first = false;
      if (text) yield text;
      continue;
    }
    let bytes = toBuffer(chunk);
    if (!decoder) {
      probe = probe.length > 0 ? Buffer.concat([probe, bytes]) : bytes;
      if (probe.length < BOM_PROBE_BYTES) continue;
      ({ decoder, bytes } = openDecoder(probe, declared));
      probe = EMPTY;
    }
    first = false;
    const text = decoder.decode(bytes, true);
    if (text) yield text;
  }
  if (!decoder) {
    if (probe.length === 0) return;
    let bytes: Buffer;
    ({ decoder, bytes } = openDecoder(probe, declared));
    const text = decoder.decode(bytes, true);
    if (text) yield text;
  }
  const rest = decoder.decode(EMPTY, false);
  if (rest) yield rest;
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError(`expected bytes or text from the input stream, got ${typeof chunk}`);
}

function openDecoder(head: Buffer, declared: string): { decoder: ChunkDecoder; bytes: Buffer } {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { decoder: new ChunkDecoder('utf-8'), bytes: head.subarray(3) };
  if (head[0] === 0xff && head[1] === 0xfe) return { decoder: new ChunkDecoder('utf-16le'), bytes: head.subarray(2) };
  if (head[0] === 0xfe && head[1] === 0xff) return { decoder: new ChunkDecoder('utf-16be'), bytes: head.subarray(2) };
  return { decoder: new ChunkDecoder(declared), bytes: head };
}

/** A strict streaming TextDecoder that can say where the first invalid byte is. */
class ChunkDecoder {
  private readonly decoder: TextDecoder;
  /** Line of the first byte of the next chunk, for error messages (UTF-8 only). */
  private line = 1;
  /** The last bytes of the previous chunk: an invalid sequence may have started there. */
  private tail: Buffer = EMPTY;

  constructor(private readonly encoding: string) {
    // The BOM was already removed; a second one is data.
    this.decoder = new TextDecoder(encoding, { fatal: true, ignoreBOM: true });
  }

  decode(bytes: Buffer, more: boolean): string {
    let text: string;
    try {
      text = this.decoder.decode(bytes, { stream: more });
    } catch (error) {
      throw this.invalid(bytes, more, error);
    }
    if (this.encoding === 'utf-8') {
      this.line += countNewlines(bytes, bytes.length);
      // A pending multi-byte sequence is at most 3 bytes long.
      this.tail = Buffer.from(bytes.subarray(Math.max(0, bytes.length - 3)));
    }
    return text;
  }

  private invalid(bytes: Buffer, more: boolean, cause: unknown): FileFormatError {
    if (this.encoding !== 'utf-8') return new FileFormatError(`the file is not valid ${this.encoding} text`, { cause });
    const window = this.tail.length > 0 ? Buffer.concat([this.tail, bytes]) : bytes;
    // Continuation bytes at the start of the tail finish sequences the previous chunk already decoded.
    let start = 0;
    while (start < this.tail.length && (window[start]! & 0xc0) === 0x80) start += 1;
    const at = findInvalidUtf8(window, start, !more);
    const where = at === -1 ? this.line : this.line + countNewlines(bytes, Math.max(0, at - this.tail.length));
    const byte = at === -1 ? '' : `byte 0x${window[at]!.toString(16).toUpperCase().padStart(2, '0')} `;
    return new FileFormatError(
      `the file is not valid UTF-8 (${byte}near row ${where}); if it was saved by Excel as "CSV" on Windows, import it with encoding windows-1252`,
      { cause },
    );
  }
}

function countNewlines(bytes: Buffer, end: number): number {
  let count = 0;
  for (let i = bytes.indexOf(0x0a); i !== -1 && i < end; i = bytes.indexOf(0x0a, i + 1)) count += 1;
  return count;
}

/**
 * The index of the lead byte of the first invalid UTF-8 sequence from `start`, or -1. The ranges are
 * the WHATWG decoder's (no overlongs, no surrogates, nothing above U+10FFFF); a sequence cut by the
 * end of the bytes is invalid only at the end of the file.
 */
function findInvalidUtf8(bytes: Buffer, start: number, final: boolean): number {
  let i = start;
  while (i < bytes.length) {
    const lead = bytes[i]!;
    if (lead < 0x80) {
      i += 1;
      continue;
    }
    let needed: number;
    let low = 0x80;
    let high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) needed = 1;
    else if (lead >= 0xe0 && lead <= 0xef) {
      needed = 2;
      if (lead === 0xe0) low = 0xa0;
      if (lead === 0xed) high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      needed = 3;
      if (lead === 0xf0) low = 0x90;
      if (lead === 0xf4) high = 0x8f;
    } else return i;
    for (let k = 1; k <= needed; k += 1) {
      if (i + k >= bytes.length) return final ? i : -1;
      const next = bytes[i + k]!;
      if (next < low || next > high) return i;
      low = 0x80;
      high = 0xbf;
    }
    i += needed + 1;
  }
  return -1;
}
