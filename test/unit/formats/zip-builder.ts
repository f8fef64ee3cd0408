import { constants, deflateRawSync } from 'node:zlib';
import * as zlib from 'node:zlib';

/** One entry of a hand-built zip. */
export interface ZipEntrySpec {
  readonly name: string;
  /** The entry's content; deflated unless `stored`. */
  readonly content?: Buffer | string;
  /** Already deflated bytes (a crafted stream), used as is; `size` is then what headers declare. */
  readonly deflated?: Buffer;
  readonly stored?: boolean;
  /** Sizes and CRC after the data in a descriptor, as streaming writers do (exceljs, Go, Java). */
  readonly descriptor?: boolean;
  /** Uncompressed size the headers declare; the real one by default. A zip bomb lies here. */
  readonly size?: number;
}

const crc32 = (zlib as unknown as { crc32?: (data: Buffer) => number }).crc32 ?? (() => 0);

/**
 * Builds a zip archive in memory, entry by entry in the given order, with a central directory, so
 * tests control what the XLSX reader meets: entry order, data descriptors, declared sizes.
 */
export function buildZip(entries: readonly ZipEntrySpec[]): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const raw = entry.content === undefined ? Buffer.alloc(0) : Buffer.from(entry.content);
    const data = entry.deflated ?? (entry.stored ? raw : deflateRawSync(raw));
    const size = entry.size ?? raw.length;
    const crc = entry.deflated ? 0 : crc32(raw);
    const name = Buffer.from(entry.name, 'utf8');
    const method = entry.stored ? 0 : 8;
    const flags = 0x800 | (entry.descriptor ? 0x08 : 0);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(entry.descriptor ? 0 : crc, 14);
    local.writeUInt32LE(entry.descriptor ? 0 : data.length, 18);
    local.writeUInt32LE(entry.descriptor ? 0 : size, 22);
    local.writeUInt16LE(name.length, 26);
    parts.push(local, name, data);
    let length = local.length + name.length + data.length;
    if (entry.descriptor) {
      const descriptor = Buffer.alloc(16);
      descriptor.writeUInt32LE(0x08074b50, 0);
      descriptor.writeUInt32LE(crc, 4);
      descriptor.writeUInt32LE(data.length, 8);
      descriptor.writeUInt32LE(size, 12);
      parts.push(descriptor);
      length += descriptor.length;
    }
    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(20, 6);
    header.writeUInt16LE(flags, 8);
    header.writeUInt16LE(method, 10);
    header.writeUInt32LE(crc, 16);
    header.writeUInt32LE(data.length, 20);
    header.writeUInt32LE(Math.min(size, 0xffffffff), 24);
    header.writeUInt16LE(name.length, 28);
    header.writeUInt32LE(offset, 42);
    central.push(header, name);
    offset += length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Math.min(entries.length, 0xffff), 8);
  end.writeUInt16LE(Math.min(entries.length, 0xffff), 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, directory, end]);
}

/**
 * A raw deflate stream that inflates to `copies` × `block` while being about `copies` KB small:
 * one block compressed with a full flush (byte-aligned, no back-references into earlier data) is
 * repeated, then a final empty block ends the stream.
 */
export function repeatedDeflate(block: Buffer, copies: number): Buffer {
  const once = deflateRawSync(block, { finishFlush: constants.Z_FULL_FLUSH, level: 9 });
  const end = deflateRawSync(Buffer.alloc(0));
  return Buffer.concat([...Array.from({ length: copies }, () => once), end]);
}

const SHEET_NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL_NS = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const PKG_REL_NS = 'http://schemas.openxmlformats.org/package/2006/relationships';

/** Options of `workbookEntries`. */
export interface WorkbookSpec {
  /** Sheets in tab order: name, `<sheetData>` content (rows), and path (relative to `xl/`, or absolute). */
  readonly sheets: ReadonlyArray<{ readonly name: string; readonly rows: string; readonly path?: string }>;
  /** `<si>` contents of the shared strings table; none when absent. */
  readonly sharedStrings?: readonly string[];
  /** `<numFmts>` and `<cellXfs>` content of styles.xml; none when absent. */
  readonly styles?: { readonly numFmts?: string; readonly cellXfs: string };
  readonly date1904?: boolean;
  /** Where the sheets go: before the parts they refer to (Excel's layout) or after them. */
  readonly sheetsFirst?: boolean;
}

/** The entries of a minimal workbook written by hand, for `buildZip`. */
export function workbookEntries(spec: WorkbookSpec): ZipEntrySpec[] {
  const sheetPath = (i: number) => spec.sheets[i]?.path ?? `worksheets/sheet${i + 1}.xml`;
  const rels = [
    ...spec.sheets.map((_, i) => `<Relationship Id="rId${i + 1}" Type="${REL_NS}/worksheet" Target="${sheetPath(i)}"/>`),
    spec.styles ? `<Relationship Id="rIdS" Type="${REL_NS}/styles" Target="styles.xml"/>` : '',
    spec.sharedStrings ? `<Relationship Id="rIdT" Type="${REL_NS}/sharedStrings" Target="sharedStrings.xml"/>` : '',
  ].join('');
  const parts: ZipEntrySpec[] = [
    { name: '_rels/.rels', content: `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="${PKG_REL_NS}"><Relationship Id="rId1" Type="${REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>` },
    {
      name: 'xl/workbook.xml',
      content: `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="${SHEET_NS}" xmlns:r="${REL_NS}"><workbookPr${spec.date1904 ? ' date1904="1"' : ''}/><sheets>${spec.sheets
        .map((s, i) => `<sheet name="${s.name}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`)
        .join('')}</sheets></workbook>`,
    },
    { name: 'xl/_rels/workbook.xml.rels', content: `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="${PKG_REL_NS}">${rels}</Relationships>` },
  ];
  if (spec.styles) {
    parts.push({
      name: 'xl/styles.xml',
      content: `<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="${SHEET_NS}">${spec.styles.numFmts ? `<numFmts>${spec.styles.numFmts}</numFmts>` : ''}<cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs><cellXfs>${spec.styles.cellXfs}</cellXfs></styleSheet>`,
    });
  }
  if (spec.sharedStrings) {
    parts.push({
      name: 'xl/sharedStrings.xml',
      content: `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="${SHEET_NS}" count="${spec.sharedStrings.length}">${spec.sharedStrings.map((s) => `<si>${s}</si>`).join('')}</sst>`,
    });
  }
  const sheets = spec.sheets.map((sheet, i) => ({
    name: sheetPath(i).startsWith('/') ? sheetPath(i).slice(1) : `xl/${sheetPath(i)}`,
    content: `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="${SHEET_NS}"><sheetData>${sheet.rows}</sheetData></worksheet>`,
  }));
  return spec.sheetsFirst ? [...sheets, ...parts] : [...parts, ...sheets];
}
