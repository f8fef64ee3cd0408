import { isAscii } from 'node:buffer';
import { TextDecoder } from 'node:util';
import { FileFormatError } from '../errors';
import { NOT_A_WORKBOOK } from './zip-stream';

/**
 * What an `XmlScanner` reports. Names come as positions in `text` (after any namespace prefix), so
 * a handler compares a few character codes instead of allocating a string per tag.
 */
export interface XmlHandler {
  /** Whether character data is wanted now; text outside such stretches is never sliced out. */
  readonly capturing: boolean;
  /**
   * An element starts. `name`…`nameEnd` is its local name in `text`, `tagEnd` the index of the `>`
   * that closes the start tag (attributes are in between, see `readAttributes`).
   */
  open(text: string, name: number, nameEnd: number, tagEnd: number, selfClosing: boolean): void;
  /** An element ends (`</name>`; a self-closing element only reports `open`). */
  close(text: string, name: number, nameEnd: number): void;
  /** Character data while `capturing`, entities already decoded; one run may come in pieces. */
  text(value: string): void;
}

const SLASH = 0x2f;
const GREATER = 0x3e;
const QUESTION = 0x3f;
const BANG = 0x21;
const COLON = 0x3a;
const SEMICOLON = 0x3b;
const DQUOTE = 0x22;
const SQUOTE = 0x27;
const EQUALS = 0x3d;

/**
 * Most bytes decoded into one string: a longer one (past 128 KiB once two-byte) would be allocated
 * in V8's large-object space, several times slower to make and to scan.
 */
const PIECE_BYTES = 64 * 1024;
const EMPTY = Buffer.alloc(0);
const LESS = 0x3c;

/** Longest piece of markup (a tag, a comment) kept across chunks; the parts of a workbook have short tags. */
const MAX_MARKUP_CHARS = 1024 * 1024;

/**
 * A small streaming XML tokenizer for the parts of a workbook: start and end tags, text with the
 * five predefined entities and character references, CDATA; comments and processing instructions
 * are skipped. A DOCTYPE is refused, so no entity can be declared (no "billion laughs"). Markup cut
 * by the end of a chunk is kept for the next one; text is handed on as it comes, so a long text
 * never piles up here. It is not a validating parser: a workbook part that is not well-formed may
 * produce odd cells, never a crash or an unbounded buffer.
 */
export class XmlScanner {
  private carry = '';

  constructor(private readonly handler: XmlHandler) {}

  /** Scans the next chunk of text. */
  write(chunk: string): void {
    const text = this.carry.length > 0 ? this.carry + chunk : chunk;
    this.carry = '';
    const handler = this.handler;
    const length = text.length;
    let i = 0;
    while (i < length) {
      const lt = text.indexOf('<', i);
      if (lt !== i) {
        const end = lt === -1 ? length : lt;
        if (handler.capturing) {
          // An entity cut by the end of the chunk waits for its end.
          const cut = lt === -1 ? cutEntity(text, i, end) : end;
          if (cut > i) handler.text(decodeXmlText(text.slice(i, cut)));
          if (cut < end) {
            this.keep(text.slice(cut));
            return;
          }
        }
        if (lt === -1) return;
      }
      if (lt + 1 >= length) {
        this.keep(text.slice(lt));
        return;
      }
      const next = text.charCodeAt(lt + 1);
      let end: number;
      if (next === SLASH) {
        end = text.indexOf('>', lt + 2);
        if (end === -1) {
          this.keep(text.slice(lt));
          return;
        }
        let nameEnd = end;
        while (nameEnd > lt + 2 && isSpace(text.charCodeAt(nameEnd - 1))) nameEnd -= 1;
        handler.close(text, localNameStart(text, lt + 2, nameEnd), nameEnd);
      } else if (next === QUESTION || next === BANG) {
        end = declarationEnd(text, lt);
        if (end === -1) {
          this.keep(text.slice(lt));
          return;
        }
        if (handler.capturing && isCdata(text, lt)) handler.text(text.slice(lt + 9, end - 2));
      } else {
        end = tagEnd(text, lt + 1);
        if (end === -1) {
          this.keep(text.slice(lt));
          return;
        }
        let nameEnd = lt + 1;
        while (nameEnd < end) {
          const c = text.charCodeAt(nameEnd);
          if (c === SLASH || isSpace(c)) break;
          nameEnd += 1;
        }
        handler.open(text, localNameStart(text, lt + 1, nameEnd), nameEnd, end, text.charCodeAt(end - 1) === SLASH);
      }
      i = end + 1;
    }
  }

  /** Checks that nothing is left unfinished at the end of the part. */
  end(): void {
    if (this.carry.length > 0) throw new FileFormatError(`${NOT_A_WORKBOOK}: a part of it ends inside a tag`);
  }

  private keep(rest: string): void {
    this.carry = checkCarry(rest);
  }
}

/**
 * Markup cut by the end of a chunk, to be kept for the next one.
 * @throws FileFormatError when it is longer than any tag of a workbook part
 */
export function checkCarry(rest: string): string {
  if (rest.length > MAX_MARKUP_CHARS) throw new FileFormatError(`${NOT_A_WORKBOOK}: a tag longer than ${MAX_MARKUP_CHARS} characters`);
  return rest;
}

/**
 * The index of the last `>` of the `<?…?>`, `<!--…-->` or `<![CDATA[…]]>` at `lt`; -1 when it is
 * not all in `text`. A CDATA section's text is `text.slice(lt + 9, end - 2)` (see `isCdata`).
 * @throws FileFormatError for a `<!DOCTYPE` (or any other declaration): workbooks never have one
 */
export function declarationEnd(text: string, lt: number): number {
  if (text.charCodeAt(lt + 1) === QUESTION) {
    const end = text.indexOf('?>', lt + 2);
    return end === -1 ? -1 : end + 1;
  }
  if (text.startsWith('<!--', lt)) {
    const end = text.indexOf('-->', lt + 4);
    return end === -1 ? -1 : end + 2;
  }
  if (isCdata(text, lt)) {
    const end = text.indexOf(']]>', lt + 9);
    return end === -1 ? -1 : end + 2;
  }
  if (text.length - lt < 9) return -1;
  throw new FileFormatError(`${NOT_A_WORKBOOK}: it declares a DTD, which workbooks never do`);
}

/** Whether the markup at `lt` is a CDATA section. */
export function isCdata(text: string, lt: number): boolean {
  return text.startsWith('<![CDATA[', lt);
}

/**
 * Decodes a part's bytes (UTF-8, or UTF-16 with a BOM) into pieces of text for a scanner, each of at
 * most 64 KiB of bytes and, in UTF-8, cut before a `<`: the bytes of a tag cut by the end of a chunk
 * wait for the next one, so a scanner rarely has markup to carry, and the text it scans is a flat
 * string rather than the carried markup joined to the next piece (a cons string, slower to read).
 * A piece of ASCII is read as Latin-1, the same text made without the decoder's work.
 */
export class XmlDecoder {
  private decoder: TextDecoder | undefined;
  /** Whether pieces may be cut before a `<` (in UTF-16 a 0x3C byte is not a character). */
  private utf8 = true;
  /** Whether the decoder holds no bytes of a character cut by the end of the last piece. */
  private whole = true;
  /** Bytes for the next piece: from the last `<` of the previous chunk, or the first few of the part (its encoding not known yet). */
  private held: Buffer = EMPTY;

  /** The text of the next chunk of bytes, piece by piece. */
  *pieces(bytes: Buffer): Generator<string> {
    if (!this.decoder) {
      // The byte order mark, if any, decides the encoding: wait for its bytes.
      const head = this.held.length > 0 ? Buffer.concat([this.held, bytes]) : bytes;
      if (head.length < 3) {
        this.held = Buffer.from(head);
        return;
      }
      this.held = EMPTY;
      bytes = head.subarray(this.open(head));
    }
    let from = 0;
    if (this.held.length > 0) {
      // The held tag ends before the next `<`, nearly always.
      const lt = bytes.indexOf(LESS);
      from = lt === -1 || lt > PIECE_BYTES ? Math.min(bytes.length, PIECE_BYTES) : lt;
      const bridge = Buffer.concat([this.held, bytes.subarray(0, from)]);
      this.held = EMPTY;
      yield this.decode(bridge);
    }
    while (from < bytes.length) {
      const end = Math.min(bytes.length, from + PIECE_BYTES);
      const lt = this.utf8 ? bytes.lastIndexOf(LESS, end - 1) : -1;
      const to = lt > from ? lt : end;
      const last = end === bytes.length;
      // Copied: the source may reuse its buffer.
      if (last && to < end) this.held = Buffer.from(bytes.subarray(to));
      yield this.decode(bytes.subarray(from, to));
      if (last) return;
      from = to;
    }
  }

  /** The text left at the end of the part. */
  end(): string {
    let rest = this.held;
    this.held = EMPTY;
    if (!this.decoder) rest = rest.subarray(this.open(rest));
    return this.decode(rest) + this.decoder!.decode();
  }

  private decode(bytes: Buffer): string {
    const text = this.utf8 && this.whole && isAscii(bytes) ? bytes.toString('latin1') : this.decoder!.decode(bytes, { stream: true });
    // After an ASCII byte the decoder holds nothing; before one, it may hold the start of a character.
    if (bytes.length > 0) this.whole = bytes[bytes.length - 1]! < 0x80;
    return text;
  }

  /** Opens the decoder the byte order mark calls for (UTF-16 LE or BE, else UTF-8); the length of the mark. */
  private open(head: Buffer): number {
    const encoding = head[0] === 0xff && head[1] === 0xfe ? 'utf-16le' : head[0] === 0xfe && head[1] === 0xff ? 'utf-16be' : 'utf-8';
    this.utf8 = encoding === 'utf-8';
    // The mark is skipped here, not by the decoder, which would also skip one at the start of the first piece it sees.
    this.decoder = new TextDecoder(encoding, { ignoreBOM: true });
    if (!this.utf8) return 2;
    return head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  }
}

/** Whether `text[start…end)` is `name`. */
export function nameIs(text: string, start: number, end: number, name: string): boolean {
  return end - start === name.length && text.startsWith(name, start);
}

/** Calls `each` with the local name and decoded value of every attribute of a start tag, in order. */
export function forEachAttribute(text: string, from: number, tagEnd: number, each: (name: string, value: string) => void): void {
  let i = from;
  while (i < tagEnd) {
    while (i < tagEnd && isSpace(text.charCodeAt(i))) i += 1;
    const nameStart = i;
    while (i < tagEnd && text.charCodeAt(i) !== EQUALS && !isSpace(text.charCodeAt(i))) i += 1;
    const nameEnd = i;
    while (i < tagEnd && isSpace(text.charCodeAt(i))) i += 1;
    if (i >= tagEnd || text.charCodeAt(i) !== EQUALS) return;
    i += 1;
    while (i < tagEnd && isSpace(text.charCodeAt(i))) i += 1;
    const quote = text.charCodeAt(i);
    if (quote !== DQUOTE && quote !== SQUOTE) return;
    const close = text.indexOf(quote === DQUOTE ? '"' : "'", i + 1);
    if (close === -1 || close > tagEnd) return;
    each(text.slice(localNameStart(text, nameStart, nameEnd), nameEnd), decodeXmlText(text.slice(i + 1, close)));
    i = close + 1;
  }
}

/** Decodes the predefined entities and character references of XML text. */
export function decodeXmlText(raw: string): string {
  if (raw.indexOf('&') === -1) return raw;
  return raw.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot|apos);/g, (entity: string, body: string) => {
    switch (body) {
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'amp':
        return '&';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
    }
    const code = body.charCodeAt(1) === 0x78 ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
    return code <= 0x10ffff ? String.fromCodePoint(code) : entity;
  });
}

/**
 * Decodes OOXML's escapes of characters XML cannot hold (`_x000D_` is a CR, `_x005F_` an
 * underscore), found in shared strings, inline strings and string results.
 */
export function decodeOoxmlEscapes(text: string): string {
  if (text.indexOf('_x') === -1) return text;
  return text.replace(/_x([0-9A-Fa-f]{4})_/g, (_match: string, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** The index of the `>` ending the tag whose name starts at `from`, skipping quoted values; -1 if not in `text`. */
export function tagEnd(text: string, from: number): number {
  const length = text.length;
  for (let i = from; i < length; i += 1) {
    const c = text.charCodeAt(i);
    if (c === GREATER) return i;
    // A `>` inside an attribute value does not end the tag.
    if (c === DQUOTE || c === SQUOTE) {
      i = text.indexOf(c === DQUOTE ? '"' : "'", i + 1);
      if (i === -1) return -1;
    }
  }
  return -1;
}

/** Where the local name starts in a qualified name `text[start…end)` (after `prefix:`). */
export function localNameStart(text: string, start: number, end: number): number {
  for (let k = end - 1; k >= start; k -= 1) if (text.charCodeAt(k) === COLON) return k + 1;
  return start;
}

/** The end of the text to decode now: before an entity reference cut by the end of `text[start…end)`. */
export function cutEntity(text: string, start: number, end: number): number {
  const amp = text.lastIndexOf('&', end - 1);
  if (amp < start) return end;
  // A complete entity is at most `&#x10FFFF;` long.
  for (let k = amp + 1; k < end && k < amp + 12; k += 1) if (text.charCodeAt(k) === SEMICOLON) return end;
  return end - amp > 12 ? end : amp;
}

/** Whether `c` is XML white space. */
export function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}
