import ExcelJS from 'exceljs';
import { Readable } from 'node:stream';
import { FileFormatError } from '../../../layers/core/errors';
import { readRows } from '../../../layers/core/formats/read-rows';
import { xlsxCellText } from '../../../layers/core/formats/xlsx';
import { XmlDecoder } from '../../../layers/core/formats/xml-scan';
import type { ImportRow } from '../../../layers/core/resources/validate-rows';
import { buildZip, workbookEntries, type WorkbookSpec } from '../../support/zip-builder';
import { TextDecoder } from 'node:util';
import { chunked, collect } from './support';

const read = (bytes: Buffer) => collect(readRows('xlsx', Readable.from([bytes])));

/** The workbook's entries stored, not deflated, so a chunk of the file is a chunk of the sheet's XML. */
const storedZip = (spec: WorkbookSpec) => buildZip(workbookEntries(spec).map((entry) => ({ ...entry, stored: true })));

/** Chunk sizes that cut the XML everywhere: inside tags, names, attribute values, entities, CDATA, UTF-8 sequences. */
const CHUNK_SIZES = [1, 2, 3, 4, 5, 7, 11, 13, 17, 31, 64, 257];

/** Sheet XML as tools other than Excel write it too: every construct the reader handles, with the rows it gives. */
const SHEET: WorkbookSpec = {
  sheets: [
    {
      name: 'Odd',
      rows: [
        // Shared, inline and string cells; every predefined entity and character references.
        '<row r="1"><c r="A1" t="inlineStr"><is><t>plain</t></is></c><c r="B1" t="s"><v>0</v></c><c r="C1" t="s"><v>1</v></c>',
        '<c r="D1" t="str"><v>a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos; &#233;&#x4E2D;&#128512;</v></c></row>',
        // Pretty-printed: whitespace between tags, around `=`, before `>`; single quotes.
        '\n  <row r="2" spans="1:3">\n    <c r="A2" t="inlineStr">\n      <is>\n        <t xml:space="preserve">  spaced  </t>\n      </is>\n    </c>\n',
        "    <c r = 'B2' s = '1' ><v>45356</v></c >\n    <c\tr='C2'\nt='str'><v>tabbed</v></c>\n  </row >\n",
        // Attributes in any order, unknown ones, a `>` inside a quoted value.
        '<row spans="1:3" r="3" x14ac:dyDescent="0.25"><c s="0" t="str" foo="x>y" r="C3"><v>ordered</v></c><c r="A3" cm="1" t="str" vm="2"><v>first</v></c></row>',
        // Namespace prefixes on every element; rich text runs.
        '<x:row r="4"><x:c r="A4" t="inlineStr"><x:is><x:r><x:rPr><x:b/></x:rPr><x:t>pre</x:t></x:r><x:r><x:t>fixed</x:t></x:r></x:is></x:c><x:c r="B4"><x:v>4</x:v></x:c></x:row>',
        // Comments and processing instructions anywhere, CDATA in a value.
        '<row r="5"><!-- a comment holding <c r="Z5"><v>9</v></c> --><c r="A5"><v>1<!-- mid -->2</v></c><?pi <c r="Y5"/>?>',
        '<c r="B5" t="str"><v><![CDATA[a<b]]>&amp;c<![CDATA[]]></v></c></row>',
        // Formulas with cached results of each type.
        '<row r="6"><c r="A6" t="str"><f>"&lt;"&amp;B6</f><v>&lt;x</v></c><c r="B6"><f>1+1</f><v>2</v></c><c r="C6" t="e"><f>NA()</f><v>#N/A</v></c>',
        '<c r="D6" t="b"><v>1</v></c><c r="E6" t="b"><v>0</v></c><c r="F6"><f t="shared" ref="F6:F9" si="0">B6*2</f></c></row>',
        // Empty cells of every form, then a value.
        '<row r="7"><c r="A7"/><c r="B7"></c><c r="C7"><v></v></c><c r="D7" t="s"/><c r="E7" t="inlineStr"><is><t/></is></c><c r="F7" t="str"><v>last</v></c></row>',
        // No references: the row follows the previous one, cells the previous cell.
        '<row><c><v>1</v></c><c r="C8"><v>3</v></c><c><v>4</v></c><c t="inlineStr"><is><t>5</t></is></c></row>',
        // Cells out of order; empty rows.
        '<row r="9"><c r="C9"><v>3</v></c><c r="A9"><v>1</v></c></row><row r="10"/><row r="11" spans="1:2" ht="20" customHeight="1"></row>',
        // Numbers and dates by style: exponent, trailing zero, builtin and custom date formats.
        '<row r="12"><c r="A12"><v>1.5E-3</v></c><c r="B12"><v>-12.50</v></c><c r="C12"><v>0.1</v></c><c r="D12" s="2"><v>45356.5</v></c><c r="E12" s="1"><v>45356</v></c><c r="F12" s="3"><v>7</v></c></row>',
        // Phonetic guides left out; OOXML escapes decoded, an escaped escape kept.
        '<row r="13"><c r="A13" t="inlineStr"><is><t>漢字</t><rPh sb="0" eb="2"><t>かんじ</t></rPh><phoneticPr fontId="1"/></is></c>',
        '<c r="B13" t="str"><v>cr_x000D_lf_x000A_ and _x005F_x000D_</v></c><c r="C13" t="inlineStr"><is><t>Größe 東京 😀</t></is></c></row>',
        // An inline string in `<v>`, ISO dates, a missing shared string, stray text, columns past Z.
        '<row r="14"><c r="A14" t="inlineStr"><v>via v</v></c><c r="B14" t="d"><v>2024-03-05T14:30:15</v></c><c r="C14" t="s"><v>99</v></c>',
        '<c r="D14" t="str"><t>stray</t><v>x</v></c><c r="AB14"><v>28</v></c></row>',
      ].join(''),
    },
  ],
  sharedStrings: ['<t>shared</t>', '<r><t>rich </t></r><r><rPr><i/></rPr><t>text</t></r>'],
  styles: {
    numFmts: '<numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm"/><numFmt numFmtId="165" formatCode="0.00"/>',
    cellXfs: '<xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/><xf numFmtId="165"/>',
  },
};

const EXPECTED: ImportRow[] = [
  { row: 1, cells: ['plain', 'shared', 'rich text', 'a & b <c> "d" \'e\' é中😀'] },
  { row: 2, cells: ['  spaced  ', '2024-03-05', 'tabbed'] },
  { row: 3, cells: ['first', '', 'ordered'] },
  { row: 4, cells: ['prefixed', '4'] },
  { row: 5, cells: ['12', 'a<b&c'] },
  { row: 6, cells: ['<x', '2', '#N/A', 'true', 'false'] },
  { row: 7, cells: ['', '', '', '', '', 'last'] },
  { row: 8, cells: ['1', '', '3', '4', '5'] },
  { row: 9, cells: ['1', '', '3'] },
  { row: 10, cells: [] },
  { row: 11, cells: [] },
  { row: 12, cells: ['0.0015', '-12.5', '0.1', '2024-03-05T12:00:00.000Z', '2024-03-05', '7'] },
  { row: 13, cells: ['漢字', 'cr\rlf\n and _x000D_', 'Größe 東京 😀'] },
  { row: 14, cells: ['via v', '2024-03-05T14:30:15.000Z', '', 'x', ...Array<string>(23).fill(''), '28'] },
];

describe('readRows (xlsx): the sheet XML', () => {
  it('reads every construct of the sheet XML', async () => {
    expect(await read(buildZip(workbookEntries(SHEET)))).toEqual(EXPECTED);
  });

  it.each(CHUNK_SIZES)('gives the same rows when the XML comes in chunks of %i bytes', async (size) => {
    const rows = await collect(readRows('xlsx', chunked(storedZip(SHEET), size).stream));

    expect(rows).toEqual(EXPECTED);
  });

  it('stops at the end of the sheet data', async () => {
    const entries = workbookEntries({ sheets: [{ name: 'S', rows: '<row r="1"><c r="A1"><v>1</v></c></row>' }] });
    const sheet = entries.at(-1)!;
    const after = { ...sheet, content: String(sheet.content).replace('</sheetData>', '</sheetData><mergeCells count="1"><mergeCell ref="A1:B1"/></mergeCells><row r="2"><c r="A2"><v>2</v></c></row>') };

    expect(await read(buildZip([...entries.slice(0, -1), after]))).toEqual([{ row: 1, cells: ['1'] }]);
  });

  it('reads parts and sheets written in UTF-16 (LE or BE, with a byte order mark), at any chunk cut', async () => {
    // Arrange
    const utf16 = (content: string, bigEndian: boolean) => {
      const le = Buffer.from(`\uFEFF${content.replace('UTF-8', 'UTF-16')}`, 'utf16le');
      return bigEndian ? le.swap16() : le;
    };
    const spec: WorkbookSpec = {
      sheets: [{ name: 'Łódź', rows: '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>東京 😀 &amp; Größe</t></is></c></row>' }],
      sharedStrings: ['<t>Ø shared</t>'],
    };
    const entries = workbookEntries(spec).map((entry) =>
      entry.name === 'xl/workbook.xml' || entry.name.startsWith('xl/worksheets/') || entry.name === 'xl/sharedStrings.xml'
        ? { ...entry, content: utf16(String(entry.content), entry.name === 'xl/workbook.xml'), stored: true }
        : { ...entry, stored: true },
    );
    const expected = [{ row: 1, cells: ['Ø shared', '東京 😀 & Größe'] }];

    // Act and assert
    expect(await read(buildZip(entries))).toEqual(expected);
    for (const size of [1, 3, 7]) expect(await collect(readRows('xlsx', chunked(buildZip(entries), size).stream))).toEqual(expected);
  });

  it('decodes UTF-8 as one decoder reading it whole would, at any chunk cut: a byte order mark, U+FEFF in text, invalid bytes', async () => {
    // Arrange: a BOM before the sheet, a lone lead byte before '<' followed by ASCII, a zero-width no-break space.
    const entries = workbookEntries({ sheets: [{ name: 'S', rows: '<row r="1"><c r="A1" t="str"><v>aINVALID</v></c><c r="B1" t="str"><v>\uFEFFb</v></c></row><row r="2"><c r="A2"><v>2</v></c></row>' }] });
    const sheet = entries.at(-1)!;
    const [before, after] = String(sheet.content).split('INVALID') as [string, string];
    const content = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(before), Buffer.from([0xc3]), Buffer.from(after)]);
    const zip = buildZip([...entries.slice(0, -1), { ...sheet, content }].map((entry) => ({ ...entry, stored: true })));
    const expected = [
      { row: 1, cells: ['a\uFFFD', '\uFEFFb'] },
      { row: 2, cells: ['2'] },
    ];

    // Act and assert
    expect(await read(zip)).toEqual(expected);
    for (const size of [1, 2, 3, 5, 8, 13]) expect(await collect(readRows('xlsx', chunked(zip, size).stream))).toEqual(expected);
  });

  it("refuses a row or a column beyond Excel's", async () => {
    const sheet = (rows: string) => buildZip(workbookEntries({ sheets: [{ name: 'S', rows }] }));

    await expect(read(sheet('<row r="1048577"><c r="A1048577"><v>1</v></c></row>'))).rejects.toThrow(
      new FileFormatError("the sheet has a row 1048577, beyond Excel's 1048576 rows"),
    );
    await expect(read(sheet('<row r="1"><c r="XFE1"><v>1</v></c></row>'))).rejects.toThrow(
      new FileFormatError("row 1 has a cell in column 16385, beyond Excel's 16384 columns"),
    );
  });

  it('refuses a 10 MB value without reading it whole, naming the cell (cell_too_long)', async () => {
    const rows = `<row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="C2" t="str"><v>${'x'.repeat(10 * 1024 * 1024)}</v></c></row>`;

    await expect(read(buildZip(workbookEntries({ sheets: [{ name: 'S', rows }] })))).rejects.toMatchObject({
      code: 'cell_too_long',
      message: "cell C2 holds more than 32767 characters, beyond Excel's 32767",
    });
  });
});

describe('readRows (xlsx) against exceljs', () => {
  /** A workbook with cells of every kind exceljs writes, in random places, with text that needs escaping. */
  async function randomWorkbook(seed: number, useSharedStrings: boolean): Promise<Buffer> {
    let state = seed;
    const next = () => (state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
    const texts = ['a & b', '<tag>', '"quoted"', "it's", 'Größe Ø', '東京 😀', 'line\nbreak', '  spaced  ', 'x_x000D_y', ']]>', '&amp;', ''];
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('Random');
    for (let r = 1; r <= 400; r += 1) {
      if (next() < 0.05) continue;
      const row = sheet.getRow(r);
      for (let c = 1; c <= 30; c += 1) {
        if (next() < 0.4) continue;
        const cell = row.getCell(c);
        const kind = Math.floor(next() * 9);
        if (kind === 0) cell.value = pick(texts) + String(Math.floor(next() * 1000));
        else if (kind === 1) cell.value = (next() - 0.5) * 10 ** Math.floor(next() * 12 - 4);
        else if (kind === 2) cell.value = Math.floor(next() * 1e6);
        else if (kind === 3) cell.value = next() < 0.5;
        else if (kind === 4) cell.value = new Date(Date.UTC(2000 + Math.floor(next() * 30), Math.floor(next() * 12), 1 + Math.floor(next() * 28), next() < 0.5 ? 0 : 13, 45));
        else if (kind === 5) cell.value = { richText: [{ text: pick(texts), font: { bold: true } }, { text: pick(texts) }] };
        // Not 0: exceljs reads a cached 0 back as no result.
        else if (kind === 6) cell.value = { formula: 'A1*2', result: 1 + Math.floor(next() * 100) / 4 };
        else if (kind === 7) cell.value = { error: '#N/A' };
        else {
          cell.value = 45000 + Math.floor(next() * 1000);
          cell.numFmt = pick(['yyyy-mm-dd', 'dd.mm.yyyy hh:mm', '0.00', '#,##0']);
        }
      }
      row.commit();
    }
    return Buffer.from(await workbook.xlsx.writeBuffer({ useSharedStrings } as ExcelJS.XlsxWriteOptions));
  }

  /** The rows as exceljs reads them, through the same cell-text rules. */
  async function exceljsRows(bytes: Buffer): Promise<ImportRow[]> {
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
    const rows: ImportRow[] = [];
    workbook.worksheets[0]!.eachRow((row, number) => {
      const cells: string[] = [];
      row.eachCell({ includeEmpty: true }, (cell, column) => {
        cells[column - 1] = xlsxCellText(cell.value, cell.numFmt);
      });
      while (cells.length > 0 && !cells.at(-1)) cells.pop();
      rows.push({ row: number, cells: Array.from(cells, (text) => text ?? '') });
    });
    return rows;
  }

  it.each([
    [1, true],
    [2, false],
    [3, true],
  ])('reads what exceljs reads (seed %i, shared strings %p)', async (seed, useSharedStrings) => {
    // Arrange
    const bytes = await randomWorkbook(seed, useSharedStrings);

    // Act
    const rows = await read(bytes);
    const bySeventeen = await collect(readRows('xlsx', chunked(bytes, 17).stream));

    // Assert
    expect(rows).toEqual(await exceljsRows(bytes));
    expect(bySeventeen).toEqual(rows);
  });
});

describe('XmlDecoder', () => {
  /** The text of `bytes` given in chunks of the sizes `sizes` gives, pieces joined. */
  function decodeInChunks(bytes: Buffer, sizes: () => number): string {
    const decoder = new XmlDecoder();
    let text = '';
    for (let i = 0; i < bytes.length; ) {
      const size = sizes();
      for (const piece of decoder.pieces(bytes.subarray(i, i + size))) text += piece;
      i += size;
    }
    return text + decoder.end();
  }

  it('gives what one decoder reading the bytes whole gives, whatever the chunks: random UTF-8 and UTF-16, invalid bytes included', () => {
    let seed = 7;
    const next = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const parts = [Buffer.from('<c r="A1">'), Buffer.from('text'), Buffer.from('Größe'), Buffer.from('東京😀'), Buffer.from('\uFEFF'), Buffer.from('<'), Buffer.from([0xc3]), Buffer.from([0xe6, 0x9d]), Buffer.from([0xff])];
    for (let round = 0; round < 300; round += 1) {
      const body = Buffer.concat(Array.from({ length: Math.floor(next() * 200) }, () => parts[Math.floor(next() * parts.length)]!));
      const utf16 = round % 5 === 0;
      const text = utf16 ? `\uFEFF${new TextDecoder().decode(body)}` : '';
      const bytes = utf16 ? Buffer.from(text, 'utf16le') : Buffer.concat([round % 2 === 0 ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0), body]);
      const expected = new TextDecoder(utf16 ? 'utf-16le' : 'utf-8').decode(bytes);
      const size = 1 + Math.floor(next() * 40);

      expect(decodeInChunks(bytes, () => size)).toBe(expected);
      expect(decodeInChunks(bytes, () => 1 + Math.floor(next() * 9))).toBe(expected);
    }
  });

  it('keeps a U+FEFF that starts a piece after pieces of ASCII (a byte order mark only counts at the start)', () => {
    // Arrange: a window of 64 KiB without a '<' ends right before the character.
    const text = `<a>${'x'.repeat(64 * 1024 - 3)}\uFEFFy</a>`;

    // Act and assert
    expect(decodeInChunks(Buffer.from(text), () => 1024 * 1024)).toBe(text);
  });
});
