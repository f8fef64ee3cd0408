import { constants, crc32, createDeflateRaw, deflateRawSync } from 'node:zlib';

/** One entry of a hand-built zip. */
export interface ZipEntrySpec {
  readonly name: string;
  /** The entry's content; deflated unless `stored`. */
  readonly content?: Buffer | string;
  /** Already deflated bytes (a crafted stream), used as is; `size` is then what headers declare. */
  readonly deflated?: Buffer;
  /** CRC-32 of the inflated content when `deflated` is given (0 otherwise: the reader is told nothing true). */
  readonly crc?: number;
  readonly stored?: boolean;
  /** Sizes and CRC after the data in a descriptor, as streaming writers do (exceljs, Go, Java). */
  readonly descriptor?: boolean;
  /** Uncompressed size the headers declare; the real one by default. A zip bomb lies here. */
  readonly size?: number;
}

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
    const crc = entry.deflated ? (entry.crc ?? 0) : crc32(raw);
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

/** A deflated entry from bytes in memory. */
export function entry(name: string, data: string | Buffer): ZipEntrySpec {
  return { name, content: Buffer.from(data) };
}

/**
 * A deflated entry of `prefix`, then `fillBytes` copies of `fill`, then `suffix`, compressed as a
 * stream so the inflated size (gigabytes, for a zip bomb) is never in memory.
 */
export async function repeatedEntry(name: string, parts: { prefix: string; fill: string; fillBytes: number; suffix: string }): Promise<ZipEntrySpec> {
  const deflate = createDeflateRaw({ level: 9 });
  const out: Buffer[] = [];
  deflate.on('data', (chunk: Buffer) => out.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    deflate.on('end', resolve);
    deflate.on('error', reject);
  });
  let crc = 0;
  let size = 0;
  const write = async (bytes: Buffer) => {
    crc = crc32(bytes, crc);
    size += bytes.length;
    if (!deflate.write(bytes)) await new Promise((resolve) => deflate.once('drain', resolve));
  };
  await write(Buffer.from(parts.prefix));
  const block = Buffer.from(parts.fill.repeat(Math.ceil((1024 * 1024) / parts.fill.length)));
  for (let left = parts.fillBytes; left > 0; left -= block.length) await write(left >= block.length ? block : block.subarray(0, left));
  await write(Buffer.from(parts.suffix));
  deflate.end();
  await done;
  return { name, deflated: Buffer.concat(out), crc, size };
}

/** The parts every workbook has besides its sheet: content types, relationships, the workbook. */
export function workbookParts(): ZipEntrySpec[] {
  return [
    entry(
      '[Content_Types].xml',
      '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
    ),
    entry(
      '_rels/.rels',
      '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    ),
    entry(
      'xl/workbook.xml',
      '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
    ),
    entry(
      'xl/_rels/workbook.xml.rels',
      '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
    ),
  ];
}

/** The start and end of a worksheet whose first row is a header of inline strings. */
export function sheetXml(header: readonly string[]): { start: string; end: string } {
  const cells = header.map((text, i) => `<c r="${String.fromCharCode(65 + i)}1" t="inlineStr"><is><t>${text}</t></is></c>`).join('');
  return {
    start: `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">${cells}</row>`,
    end: '</sheetData></worksheet>',
  };
}
