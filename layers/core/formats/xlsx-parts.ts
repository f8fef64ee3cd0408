import { CellTooLongError, FileFormatError } from '../errors';
import { cellTooLong } from './limits';
import { decodeOoxmlEscapes, forEachAttribute, nameIs, XmlDecoder, XmlScanner, type XmlHandler } from './xml-scan';
import { NOT_A_WORKBOOK } from './zip-stream';

/** Characters Excel holds in one cell; more means a crafted or corrupt file. */
export const MAX_XLSX_CELL_CHARS = 32_767;

/**
 * Characters a text may grow to while it is read before it fails: past the cell limit, so a cell
 * just over it is reported with its exact length, yet bounded, so a 10 MB text fails after a few
 * tens of kilobytes.
 */
export function textReadLimit(cellLimit: number): number {
  return cellLimit + 64 * 1024;
}

/** The cell limit of a workbook: the configured one, and never more than Excel's own. */
export function xlsxCellLimit(maxCellChars: number): number {
  return Math.min(maxCellChars, MAX_XLSX_CELL_CHARS);
}

/** `cell_too_long` for a workbook's text, naming Excel's limit when that is the one exceeded. */
export function xlsxCellTooLong(cellLimit: number, where: string, length?: number): CellTooLongError {
  if (cellLimit !== MAX_XLSX_CELL_CHARS) return cellTooLong(cellLimit, where, length);
  const size = length === undefined ? `more than ${cellLimit}` : String(length);
  return new CellTooLongError(`${where} holds ${size} characters, beyond Excel's ${MAX_XLSX_CELL_CHARS}`, cellLimit);
}

/**
 * Number formats Excel builds in that show dates or times (ids 14–22, 45–47, and the East Asian
 * and Thai date formats 27–36, 50–58, 71–81): a workbook refers to them by id only.
 */
const BUILTIN_DATE_FORMATS = new Set([14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 45, 46, 47, 50, 51, 52, 53, 54, 55, 56, 57, 58, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81]);

/** Whether a number format shows a date or time, by exceljs's rule (`y m d h s` outside quotes and brackets). */
export function isDateFormat(numFmt: string | undefined): boolean {
  if (!numFmt) return false;
  return /[ymdhMsb]/.test(numFmt.replace(/\[[^\]]*]/g, '').replace(/"[^"]*"/g, ''));
}

/** One worksheet of the workbook, in tab order. */
export interface SheetInfo {
  readonly name: string;
  /** Zip entry name of its XML, lower-cased. */
  readonly key: string;
}

interface Relationship {
  readonly type: string;
  /** Zip entry name, lower-cased. */
  readonly key: string;
}

/**
 * What a workbook's parts say, gathered in whatever order the zip holds them: which sheets it has,
 * in which entries; whether dates count from 1904; which cell styles show dates; the shared strings.
 */
export class WorkbookParts {
  /** Cell style index → whether its number format shows a date. */
  dateStyles: boolean[] = [];
  /** The shared strings table; text only (rich text runs joined, phonetic runs left out). */
  sharedStrings: string[] = [];
  /** Whether serial dates count from 1904 (old Mac workbooks). */
  date1904 = false;
  private workbookKey = 'xl/workbook.xml';
  private sheets: Array<{ readonly name: string; readonly relationship: string }> | undefined;
  private relationships: Map<string, Relationship> | undefined;
  private stylesRead = false;
  private sharedStringsRead = false;

  constructor(private readonly limits: { readonly maxCellChars: number }) {}

  /** What the entry `key` (lower-cased name) is to this reader. */
  kindOf(key: string): 'root-rels' | 'workbook' | 'workbook-rels' | 'styles' | 'shared-strings' | 'sheet' | 'other' {
    if (key === '_rels/.rels') return 'root-rels';
    if (key === this.workbookKey) return 'workbook';
    if (key === relsKeyOf(this.workbookKey)) return 'workbook-rels';
    if (key === (this.targetOf('/styles') ?? 'xl/styles.xml')) return 'styles';
    if (key === (this.targetOf('/sharedStrings') ?? 'xl/sharedstrings.xml')) return 'shared-strings';
    if (this.relationships) return [...this.relationships.values()].some((r) => r.key === key && r.type.endsWith('/worksheet')) ? 'sheet' : 'other';
    return /^xl\/worksheets\/[^/]+\.xml$/.test(key) ? 'sheet' : 'other';
  }

  /** Reads a part of one of the kinds above (not a sheet). */
  async read(kind: string, xml: AsyncIterable<Buffer>): Promise<void> {
    switch (kind) {
      case 'root-rels': {
        const office = [...(await this.readRelationships(xml, '')).values()].find((r) => r.type.endsWith('/officeDocument'));
        if (office) this.workbookKey = office.key;
        return;
      }
      case 'workbook':
        return this.readWorkbook(xml);
      case 'workbook-rels':
        this.relationships = await this.readRelationships(xml, directoryOf(this.workbookKey));
        return;
      case 'styles':
        this.dateStyles = await readStyles(xml);
        this.stylesRead = true;
        return;
      case 'shared-strings':
        this.sharedStrings = await readSharedStrings(xml, xlsxCellLimit(this.limits.maxCellChars));
        this.sharedStringsRead = true;
        return;
    }
  }

  /**
   * Whether the sheet in entry `key` is the one to read (`sheet` by name, else the first): true or
   * false once the workbook and its relationships are known, undefined before.
   */
  isWanted(key: string, sheet: string | undefined): boolean | undefined {
    const sheets = this.worksheets();
    if (!sheets) return undefined;
    const wanted = sheet === undefined ? sheets[0] : sheets.find((s) => s.name === sheet);
    return wanted?.key === key;
  }

  /** Whether everything a sheet's cells refer to has been read, so it can be read as it streams. */
  ready(): boolean {
    if (!this.worksheets()) return false;
    return (this.stylesRead || !this.targetOf('/styles')) && (this.sharedStringsRead || !this.targetOf('/sharedStrings'));
  }

  /**
   * The sheet to read, once every part was seen.
   * @throws FileFormatError when the workbook has no worksheet, or none named `sheet`
   */
  pick(sheet: string | undefined): SheetInfo {
    const sheets = this.worksheets() ?? [];
    if (sheets.length === 0) throw new FileFormatError(`${NOT_A_WORKBOOK}: it has no worksheet`);
    if (sheet === undefined) return sheets[0]!;
    const found = sheets.find((s) => s.name === sheet);
    if (!found) throw new FileFormatError(`the workbook has no sheet '${sheet}'; its sheets are: ${sheets.map((s) => s.name).join(', ')}`);
    return found;
  }

  /** The worksheets in tab order (chart sheets left out), once the workbook and its relationships are known. */
  private worksheets(): SheetInfo[] | undefined {
    const relationships = this.relationships;
    if (!this.sheets || !relationships) return undefined;
    return this.sheets.flatMap((sheet) => {
      const target = relationships.get(sheet.relationship);
      return target?.type.endsWith('/worksheet') ? [{ name: sheet.name, key: target.key }] : [];
    });
  }

  private targetOf(typeSuffix: string): string | undefined {
    if (!this.relationships) return undefined;
    for (const relationship of this.relationships.values()) if (relationship.type.endsWith(typeSuffix)) return relationship.key;
    return undefined;
  }

  private async readWorkbook(xml: AsyncIterable<Buffer>): Promise<void> {
    const sheets: Array<{ name: string; relationship: string }> = [];
    await readPart(
      xml,
      new TagHandler((text, name, nameEnd, tagEnd) => {
        if (nameIs(text, name, nameEnd, 'sheet')) {
          let sheetName = '';
          let relationship = '';
          forEachAttribute(text, nameEnd, tagEnd, (attribute, value) => {
            if (attribute === 'name') sheetName = value;
            // `r:id`: the only attribute named `id` on a sheet, whatever its prefix.
            else if (attribute === 'id') relationship = value;
          });
          sheets.push({ name: sheetName, relationship });
        } else if (nameIs(text, name, nameEnd, 'workbookPr')) {
          forEachAttribute(text, nameEnd, tagEnd, (attribute, value) => {
            if (attribute === 'date1904') this.date1904 = value === '1' || value === 'true';
          });
        }
      }),
    );
    this.sheets = sheets;
  }

  private async readRelationships(xml: AsyncIterable<Buffer>, base: string): Promise<Map<string, Relationship>> {
    const relationships = new Map<string, Relationship>();
    await readPart(
      xml,
      new TagHandler((text, name, nameEnd, tagEnd) => {
        if (!nameIs(text, name, nameEnd, 'Relationship')) return;
        let id = '';
        let type = '';
        let target = '';
        let external = false;
        forEachAttribute(text, nameEnd, tagEnd, (attribute, value) => {
          if (attribute === 'Id') id = value;
          else if (attribute === 'Type') type = value;
          else if (attribute === 'Target') target = value;
          else if (attribute === 'TargetMode') external = value === 'External';
        });
        if (!external) relationships.set(id, { type, key: resolveTarget(base, target) });
      }),
    );
    return relationships;
  }
}

/**
 * A handler of tags only, from callbacks. Every small part uses this one class, so the scanner's
 * calls stay polymorphic over a few classes (sheet, shared strings, this) rather than megamorphic
 * over one object shape per part, which would slow every tag of the sheet.
 */
class TagHandler implements XmlHandler {
  readonly capturing = false;

  constructor(
    readonly open: XmlHandler['open'],
    readonly close: XmlHandler['close'] = () => undefined,
  ) {}

  text(): void {}
}

/** Decodes a part's bytes (UTF-8, or UTF-16 with a BOM) and feeds them to a scanner. */
export async function readPart(xml: AsyncIterable<Buffer>, handler: XmlHandler): Promise<void> {
  const scanner = new XmlScanner(handler);
  const decoder = new XmlDecoder();
  for await (const chunk of xml) for (const text of decoder.pieces(chunk)) scanner.write(text);
  scanner.write(decoder.end());
  scanner.end();
}

/** The cell styles (`cellXfs`) of `styles.xml`, as whether each shows a date. */
async function readStyles(xml: AsyncIterable<Buffer>): Promise<boolean[]> {
  const formats = new Map<number, string>();
  const styles: number[] = [];
  let inCellXfs = false;
  const open: XmlHandler['open'] = (text, name, nameEnd, tagEnd, selfClosing) => {
    if (nameIs(text, name, nameEnd, 'numFmt')) {
      let id = -1;
      let code = '';
      forEachAttribute(text, nameEnd, tagEnd, (attribute, value) => {
        if (attribute === 'numFmtId') id = Number(value);
        else if (attribute === 'formatCode') code = value;
      });
      formats.set(id, code);
    } else if (nameIs(text, name, nameEnd, 'cellXfs')) {
      inCellXfs = !selfClosing;
    } else if (inCellXfs && nameIs(text, name, nameEnd, 'xf')) {
      let id = 0;
      forEachAttribute(text, nameEnd, tagEnd, (attribute, value) => {
        if (attribute === 'numFmtId') id = Number(value);
      });
      styles.push(id);
    }
  };
  const close: XmlHandler['close'] = (text, name, nameEnd) => {
    if (nameIs(text, name, nameEnd, 'cellXfs')) inCellXfs = false;
  };
  await readPart(xml, new TagHandler(open, close));
  return styles.map((id) => {
    const custom = formats.get(id);
    return custom === undefined ? BUILTIN_DATE_FORMATS.has(id) : isDateFormat(custom);
  });
}

/**
 * The shared strings table: the text of each `<si>` (its `<t>`, or its rich text runs' joined),
 * phonetic guides (`<rPh>`) left out, OOXML escapes decoded. A text growing well past the cell
 * limit fails there, before the rest of it is read; one just past it fails where a cell uses it.
 */
async function readSharedStrings(xml: AsyncIterable<Buffer>, cellLimit: number): Promise<string[]> {
  const strings: string[] = [];
  const maxChars = textReadLimit(cellLimit);
  const handler = new (class implements XmlHandler {
    capturing = false;
    private current = '';
    private inItem = false;
    private phonetic = 0;

    open(text: string, name: number, nameEnd: number, _tagEnd: number, selfClosing: boolean): void {
      const length = nameEnd - name;
      if (length === 1 && text.charCodeAt(name) === 0x74 /* t */) {
        this.capturing = !selfClosing && this.inItem && this.phonetic === 0;
      } else if (length === 2 && nameIs(text, name, nameEnd, 'si')) {
        if (selfClosing) strings.push('');
        else {
          this.inItem = true;
          this.current = '';
        }
      } else if (length === 3 && !selfClosing && nameIs(text, name, nameEnd, 'rPh')) {
        this.phonetic += 1;
      }
    }

    close(text: string, name: number, nameEnd: number): void {
      const length = nameEnd - name;
      if (length === 1 && text.charCodeAt(name) === 0x74) this.capturing = false;
      else if (length === 2 && nameIs(text, name, nameEnd, 'si')) {
        strings.push(decodeOoxmlEscapes(this.current));
        this.inItem = false;
        this.current = '';
      } else if (length === 3 && nameIs(text, name, nameEnd, 'rPh')) this.phonetic -= 1;
    }

    text(value: string): void {
      this.current += value;
      if (this.current.length > maxChars) throw xlsxCellTooLong(cellLimit, `shared string ${strings.length}`);
    }
  })();
  await readPart(xml, handler);
  return strings;
}

/** The entry a relationship target points to, from the directory of the part that has it (`xl/`). */
function resolveTarget(base: string, target: string): string {
  const path = target.startsWith('/') ? target.slice(1) : base + target;
  const parts: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '..') parts.pop();
    else if (segment !== '.' && segment !== '') parts.push(segment);
  }
  return decodeURIComponentSafe(parts.join('/')).toLowerCase();
}

function decodeURIComponentSafe(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function directoryOf(key: string): string {
  return key.slice(0, key.lastIndexOf('/') + 1);
}

/** `xl/workbook.xml` → `xl/_rels/workbook.xml.rels`. */
function relsKeyOf(key: string): string {
  const directory = directoryOf(key);
  return `${directory}_rels/${key.slice(directory.length)}.rels`;
}
