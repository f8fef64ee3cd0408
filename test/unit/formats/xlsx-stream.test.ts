import ExcelJS from 'exceljs';
import { Readable } from 'node:stream';
import { FileFormatError } from '../../../layers/core/errors';
import { readRows } from '../../../layers/core/formats/read-rows';
import { plainNumberText } from '../../../layers/core/formats/xlsx';
import { spreadsheetNumberToText } from '../../../layers/core/formats/cell-text';
import { chunked, collect } from './support';
import { buildZip, workbookEntries, type WorkbookSpec } from '../../support/zip-builder';

const read = (bytes: Buffer, options: { sheet?: string } = {}) => collect(readRows('xlsx', Readable.from([bytes]), options));

/** Every kind of cell the XML can hold, written by hand: what Excel and other tools write. */
const CELLS: WorkbookSpec = {
  sheets: [
    {
      name: 'Cells',
      rows: [
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="inlineStr"><is><t>inline</t></is></c></row>',
        // Rich inline text with a phonetic guide, OOXML escapes, entities and CDATA.
        '<row r="2"><c r="A2" t="inlineStr"><is><r><t>Big </t></r><r><rPr><b/></rPr><t xml:space="preserve">Ham&amp;mer</t></r><rPh sb="0" eb="1"><t>ハ</t></rPh></is></c>',
        '<c r="B2" t="str"><f>A1&amp;"!"</f><v>line_x000D_&#10;two &lt;3</v></c><c r="C2" t="inlineStr"><is><t><![CDATA[<raw> & more]]></t></is></c></row>',
        // Booleans, errors, ISO dates, formula results of each type, an empty formula.
        '<row r="3"><c r="A3" t="b"><v>1</v></c><c r="B3" t="b"><f>TRUE()</f><v>0</v></c><c r="C3" t="e"><f>1/0</f><v>#DIV/0!</v></c>',
        '<c r="D3" t="d"><v>2024-03-05T14:30:15</v></c><c r="E3" t="d"><v>2024-03-05</v></c><c r="F3"><f>X1</f></c><c r="G3"><f t="shared" si="0"/><v>7</v></c></row>',
        // Date styles: builtin id 14, a custom format, a time; numbers in plain notation.
        '<row r="5"><c r="A5" s="1"><v>45356</v></c><c r="B5" s="2"><v>45356.6043402778</v></c><c r="C5" s="3"><v>0.5</v></c><c r="D5" s="4"><v>12.5</v></c>',
        '<c r="E5"><v>1.0000000000000001E-7</v></c><c r="F5"><v>0.30000000000000004</v></c><c r="G5"><v>-0</v></c><c r="H5"><v>9007199254740993</v></c></row>',
        // No references: cells and rows follow the previous ones; a styled empty cell adds nothing.
        '<row><c t="inlineStr"><is><t>a</t></is></c><c/><c t="inlineStr"><is><t>c</t></is></c><c r="Z6" s="1"/></row>',
        '<row r="8" spans="1:2"/>',
      ].join(''),
    },
  ],
  sharedStrings: ['<t>shared</t>', '<r><t>rich </t></r><r><rPr><i/></rPr><t>text</t></r><rPh sb="0" eb="1"><t>リッチ</t></rPh><phoneticPr fontId="1"/>'],
  styles: {
    numFmts: '<numFmt numFmtId="164" formatCode="dd.mm.yyyy hh:mm"/><numFmt numFmtId="165" formatCode="&quot;EUR&quot; 0.00"/>',
    cellXfs: '<xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="164"/><xf numFmtId="21"/><xf numFmtId="165"/>',
  },
};

const EXPECTED_CELLS = [
  { row: 1, cells: ['shared', 'rich text', 'inline'] },
  { row: 2, cells: ['Big Ham&mer', 'line\r\ntwo <3', '<raw> & more'] },
  { row: 3, cells: ['true', 'false', '#DIV/0!', '2024-03-05T14:30:15.000Z', '2024-03-05', '', '7'] },
  { row: 5, cells: ['2024-03-05', '2024-03-05T14:30:15.000Z', '1899-12-30T12:00:00.000Z', '12.5', '0.0000001', '0.3', '0', '9007199254740990'] },
  { row: 6, cells: ['a', '', 'c'] },
  { row: 8, cells: [] },
];

describe('readRows (xlsx): the XML as written', () => {
  it('reads every kind of cell as the text a user saw', async () => {
    const rows = await read(buildZip(workbookEntries(CELLS)));

    expect(rows).toEqual(EXPECTED_CELLS);
  });

  it('gives the same rows whatever the zip layout: parts first or sheets first, descriptors, stored entries', async () => {
    const layouts = [
      workbookEntries(CELLS),
      workbookEntries({ ...CELLS, sheetsFirst: true }),
      workbookEntries({ ...CELLS, sheetsFirst: true }).map((entry) => ({ ...entry, descriptor: true })),
      workbookEntries(CELLS).map((entry) => ({ ...entry, stored: true })),
    ];

    for (const entries of layouts) expect(await read(buildZip(entries))).toEqual(EXPECTED_CELLS);
  });

  it('gives the same rows whatever the chunk size, characters split across chunks included', async () => {
    // Arrange: exceljs's own layout (sheets before shared strings), with multi-byte text.
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('Łódź');
    for (let i = 0; i < 300; i += 1) sheet.addRow([`Größe ${i} Ø 東京 😀`, i * 1.5, new Date(Date.UTC(2024, 0, 1 + i)), i % 2 === 0]);
    sheet.getColumn(3).numFmt = 'yyyy-mm-dd';
    const bytes = Buffer.from(await workbook.xlsx.writeBuffer());

    // Act
    const whole = await read(bytes);
    const bySeven = await collect(readRows('xlsx', chunked(bytes, 7).stream));
    const byOne = await collect(readRows('xlsx', chunked(bytes, 1).stream));

    // Assert
    expect(whole).toHaveLength(300);
    expect(whole[299]).toEqual({ row: 300, cells: ['Größe 299 Ø 東京 😀', '448.5', '2024-10-26', 'false'] });
    expect(bySeven).toEqual(whole);
    expect(byOne).toEqual(whole);
  });

  it('reads 1904-based serial dates', async () => {
    const spec: WorkbookSpec = { sheets: [{ name: 'S', rows: '<row r="1"><c r="A1" s="1"><v>0</v></c></row>' }], styles: { cellXfs: '<xf numFmtId="0"/><xf numFmtId="14"/>' }, date1904: true };

    expect(await read(buildZip(workbookEntries(spec)))).toEqual([{ row: 1, cells: ['1904-01-01'] }]);
  });

  it('finds sheets through the relationships: any path, chart sheets skipped, namespace prefixes, single quotes', async () => {
    // Arrange: a chart sheet first in the tabs, the worksheet at an absolute, unusual path.
    const entries = workbookEntries({
      sheets: [
        { name: 'Chart', rows: '', path: 'chartsheets/sheet1.xml' },
        { name: 'Data', rows: "<x:row r='1'><x:c r='A1' t='inlineStr'><x:is><x:t>prefixed</x:t></x:is></x:c></x:row>", path: '/xl/data/the sheet.xml' },
      ],
    }).map((entry) =>
      entry.name === 'xl/_rels/workbook.xml.rels'
        ? { ...entry, content: String(entry.content).replace('worksheet" Target="chartsheets', 'chartsheet" Target="chartsheets').replace('the sheet.xml', 'the%20sheet.xml') }
        : entry,
    );

    // Act
    const rows = await read(buildZip(entries));
    const named = read(buildZip(entries), { sheet: 'Chart' });

    // Assert
    expect(rows).toEqual([{ row: 1, cells: ['prefixed'] }]);
    await expect(named).rejects.toThrow("the workbook has no sheet 'Chart'; its sheets are: Data");
  });

  it('refuses a part that declares a DTD (no entity can be defined)', async () => {
    const entries = workbookEntries({ sheets: [{ name: 'S', rows: '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol;</t></is></c></row>' }] });
    const last = entries.at(-1)!;
    const withDtd = { ...last, content: String(last.content).replace('<worksheet', '<!DOCTYPE lolz [<!ENTITY lol "lol">]><worksheet') };

    await expect(read(buildZip([...entries.slice(0, -1), withDtd]))).rejects.toThrow(new FileFormatError('the file is not a readable XLSX workbook: it declares a DTD, which workbooks never do'));
  });

  it('refuses encrypted entries and unknown compression methods as unreadable', async () => {
    const zip = buildZip(workbookEntries(CELLS));
    const encrypted = Buffer.from(zip);
    encrypted.writeUInt16LE(encrypted.readUInt16LE(6) | 1, 6);
    const bzip2 = Buffer.from(zip);
    bzip2.writeUInt16LE(12, 8);

    await expect(read(encrypted)).rejects.toThrow('the file is not a readable XLSX workbook: it is encrypted');
    await expect(read(bzip2)).rejects.toThrow('uses compression method 12');
  });

  it('refuses a zip without a workbook', async () => {
    await expect(read(buildZip([{ name: 'word/document.xml', content: '<w:document/>' }]))).rejects.toThrow('the file is not a readable XLSX workbook: it has no worksheet');
  });
});

describe('plainNumberText', () => {
  it.each(['0', '1', '-1', '12.5', '0.5', '-0.25', '1482.67', '123456789012345', '0.0000001', '100', '0.000123456789012345'])('keeps %j as written', (raw) => {
    expect(plainNumberText(raw)).toBe(raw);
    expect(spreadsheetNumberToText(parseFloat(raw))).toBe(raw);
  });

  it.each(['-0', '00', '01', '1.50', '1.', '.5', '1e21', '1E-7', '0.30000000000000004', '1234567890123456', '', '-', '1.2.3', 'NaN'])('leaves %j to the general rule', (raw) => {
    expect(plainNumberText(raw)).toBeUndefined();
  });

  it('agrees with the general rule on random numbers', () => {
    let seed = 42;
    const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let i = 0; i < 20_000; i += 1) {
      const value = (next() - 0.5) * 10 ** Math.floor(next() * 24 - 10);
      const raw = [String(value), value.toFixed(Math.floor(next() * 6)), String(Math.round(value))][i % 3]!;
      const fast = plainNumberText(raw);
      if (fast !== undefined) expect(fast).toBe(spreadsheetNumberToText(parseFloat(raw)));
    }
  });
});
