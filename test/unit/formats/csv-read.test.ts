import { Readable } from 'node:stream';
import { FileFormatError } from '../../../layers/core/errors';
import { detectDelimiter, readCsvRows } from '../../../layers/core/formats/csv';
import { readRows } from '../../../layers/core/formats/read-rows';
import { chunked, collect, fixtureStream } from './support';

describe('readRows (csv)', () => {
  it('reads an Excel "CSV UTF-8" file: BOM skipped, ; detected, CRLF, quotes', async () => {
    // Arrange
    const input = fixtureStream('excel-utf8-bom-semicolon.csv');

    // Act
    const rows = await collect(readRows('csv', input));

    // Assert
    expect(rows).toEqual([
      { row: 1, cells: ['sku', 'name', 'price', 'notes'] },
      { row: 2, cells: ['A-1', 'Hammer, groß', '12,50', ''] },
      { row: 3, cells: ['A-2', 'Säge "extra"', '7,99', 'Zeile 1\r\nZeile 2'] },
      { row: 4, cells: ['A-3', 'Łódź Zange', '3,10', 'ok'] },
    ]);
  });

  it('reads a windows-1252 file when the encoding is declared', async () => {
    const rows = await collect(readRows('csv', fixtureStream('excel-windows-1252.csv'), { encoding: 'windows-1252' }));

    expect(rows).toEqual([
      { row: 1, cells: ['name', 'city', 'price'] },
      { row: 2, cells: ['Müller', 'Köln', '€5'] },
      { row: 3, cells: ['Café Señor', 'Ångström', '10'] },
    ]);
  });

  it('accepts any WHATWG label: latin1 means windows-1252', async () => {
    const rows = await collect(readRows('csv', fixtureStream('excel-windows-1252.csv'), { encoding: 'latin1' }));

    expect(rows[1]?.cells).toEqual(['Müller', 'Köln', '€5']);
  });

  it('refuses the windows-1252 file read as UTF-8, naming the byte, the row and the fix', async () => {
    const read = collect(readRows('csv', fixtureStream('excel-windows-1252.csv')));

    await expect(read).rejects.toMatchObject({
      name: 'FileFormatError',
      message: 'the file is not valid UTF-8 (byte 0xFC near row 2); if it was saved by Excel as "CSV" on Windows, import it with encoding windows-1252',
    });
  });

  it('locates an invalid byte in a later chunk', async () => {
    const bytes = Buffer.concat([Buffer.from('a\nb\nc\n', 'utf8'), Buffer.from([0x61, 0xe9, 0x0a])]);
    const { stream } = chunked(bytes, 2);

    await expect(collect(readRows('csv', stream))).rejects.toThrow('(byte 0xE9 near row 4)');
  });

  it('refuses a file cut inside a multi-byte character', async () => {
    const bytes = Buffer.from('name\nŁ', 'utf8').subarray(0, -1);

    await expect(collect(readRows('csv', Readable.from([bytes])))).rejects.toThrow('not valid UTF-8');
  });

  it('refuses an unknown encoding label, naming it', async () => {
    await expect(collect(readRows('csv', fixtureStream('excel-windows-1252.csv'), { encoding: 'klingon-8' }))).rejects.toThrow(
      new FileFormatError("unknown encoding 'klingon-8': use a WHATWG label such as utf-8, windows-1252, latin1 or utf-16le"),
    );
  });

  it('detects tab-delimited files', async () => {
    const rows = await collect(readRows('csv', fixtureStream('tab-delimited.tsv')));

    expect(rows).toEqual([
      { row: 1, cells: ['sku', 'name', 'qty'] },
      { row: 2, cells: ['A-1', 'Hammer, big', '3'] },
      { row: 3, cells: ['A-2', 'Saw; fine', ''] },
    ]);
  });

  it('uses a declared delimiter over detection', async () => {
    const rows = await collect(readRows('csv', Readable.from([Buffer.from('a,b;c\n1,2;3\n')]), { delimiter: ';' }));

    expect(rows.map((r) => r.cells)).toEqual([['a,b', 'c'], ['1,2', '3']]);
  });

  it('numbers records, not lines, after quoted newlines', async () => {
    const rows = await collect(readRows('csv', fixtureStream('embedded-newlines.csv')));

    expect(rows).toEqual([
      { row: 1, cells: ['sku', 'description', 'qty'] },
      { row: 2, cells: ['1', 'first line\nsecond line', '5'] },
      { row: 3, cells: ['2', 'one\r\ntwo\r\nthree', '6'] },
      { row: 4, cells: ['3', 'said "hi"\n', '7'] },
      { row: 5, cells: ['4', 'plain', '8'] },
    ]);
  });

  it('reads Excel "Unicode Text" (UTF-16 LE with BOM, tabs) whatever the declared encoding', async () => {
    const rows = await collect(readRows('csv', fixtureStream('excel-unicode-text-utf16le.txt'), { encoding: 'windows-1252' }));

    expect(rows).toEqual([
      { row: 1, cells: ['sku', 'name'] },
      { row: 2, cells: ['A-1', 'Łódź'] },
      { row: 3, cells: ['A-2', '東京 ✓'] },
    ]);
  });

  it('decodes UTF-16 and UTF-8 characters split across chunks, BOM included', async () => {
    const utf16 = Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from('a;b\n\u00e9;\u6771\n', 'utf16le').swap16()]);
    const utf8 = Buffer.from('\uFEFFname\nŁódź 東京\n', 'utf8');

    const rows16 = await collect(readRows('csv', chunked(utf16, 1).stream));
    const rows8 = await collect(readRows('csv', chunked(utf8, 1).stream));

    expect(rows16.map((r) => r.cells)).toEqual([['a', 'b'], ['é', '東']]);
    expect(rows8.map((r) => r.cells)).toEqual([['name'], ['Łódź 東京']]);
  });

  it('stops pulling bytes when the consumer stops early', async () => {
    const bytes = Buffer.from(`h\n${Array.from({ length: 50_000 }, (_, i) => `${i}\n`).join('')}`);
    const { stream, pulled } = chunked(bytes, 1024);

    for await (const row of readCsvRows(stream, {})) {
      expect(row.row).toBe(1);
      break;
    }

    expect(stream.destroyed).toBe(true);
    expect(pulled()).toBeLessThan(Math.ceil(bytes.length / 1024) / 2);
  });

  it('passes a failure of the source on as is', async () => {
    const failing = new Readable({ read() {} });
    failing.push(Buffer.from('a,b\n1,2\n'));
    setImmediate(() => failing.destroy(new Error('connection reset')));

    await expect(collect(readRows('csv', failing))).rejects.toThrow('connection reset');
  });

  it('keeps the old call shape working', async () => {
    const rows = await collect(readCsvRows(Readable.from(['a,b\n1,2\n'])));

    expect(rows).toEqual([
      { row: 1, cells: ['a', 'b'] },
      { row: 2, cells: ['1', '2'] },
    ]);
  });
});

describe('detectDelimiter', () => {
  it.each([
    ['a,b,c', ','],
    ['a;b;c', ';'],
    ['a\tb\tc', '\t'],
    ['"x;y;z",b', ','],
    ['name', ','],
    ['a;b,c;d,e', ','],
    ['"multi\nline;;;",b\nc;d;e;f', ','],
  ])('%j → %j', (line, expected) => {
    expect(detectDelimiter(line)).toBe(expected);
  });
});
