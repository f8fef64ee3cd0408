import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FileFormatError } from '../../../layers/core/errors';
import { MAX_RECORD_CHARS, createCsvWriter, readCsvRows } from '../../../layers/core/formats/csv';
import type { ImportRow } from '../../../layers/core/resources/validate-rows';

async function collect(input: Readable): Promise<ImportRow[]> {
  const rows: ImportRow[] = [];
  for await (const row of readCsvRows(input)) rows.push(row);
  return rows;
}

async function writeCsv(rows: string[][], options?: { bom?: boolean }): Promise<string> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  await pipeline(Readable.from(rows), createCsvWriter(options), sink);
  return Buffer.concat(chunks).toString('utf8');
}

describe('readCsvRows', () => {
  it('strips the BOM, reads CRLF and numbers records, not lines', async () => {
    // Arrange
    const input = createReadStream(join(__dirname, '../../fixtures/core/bom-crlf.csv'));

    // Act
    const rows = await collect(input);

    // Assert
    expect(rows).toEqual([
      { row: 1, cells: ['sku', 'name', 'notes'] },
      { row: 2, cells: ['A-1', 'Hammer, big', 'line one\r\nline two'] },
      { row: 3, cells: ['A-2', 'Łódź Saw', ''] },
    ]);
  });

  it('keeps ragged rows and blank lines so numbers match the spreadsheet', async () => {
    const rows = await collect(Readable.from(['a,b,c\n1\n\n"x\ny",2,3,4\n']));

    expect(rows).toEqual([
      { row: 1, cells: ['a', 'b', 'c'] },
      { row: 2, cells: ['1'] },
      { row: 3, cells: [''] },
      { row: 4, cells: ['x\ny', '2', '3', '4'] },
    ]);
  });

  it('handles multi-byte characters split across chunks', async () => {
    const bytes = Buffer.from('name\nŁódź\n', 'utf8');
    const input = Readable.from([bytes.subarray(0, 6), bytes.subarray(6)]);

    const rows = await collect(input);

    expect(rows[1]).toEqual({ row: 2, cells: ['Łódź'] });
  });

  it('reports malformed CSV as FileFormatError', async () => {
    await expect(collect(Readable.from(['a,b\n"unclosed,1\n']))).rejects.toThrow(FileFormatError);
  });

  it('refuses a record larger than the cap instead of buffering the file', async () => {
    const input = Readable.from(['a\n"', 'x'.repeat(MAX_RECORD_CHARS + 10)]);

    await expect(collect(input)).rejects.toThrow(FileFormatError);
  });

  it('yields nothing for an empty file', async () => {
    expect(await collect(Readable.from([Buffer.alloc(0)]))).toEqual([]);
  });
});

describe('createCsvWriter', () => {
  it('round-trips awkward cells', async () => {
    const rows = [
      ['id', 'name', 'notes'],
      ['1', 'Hammer, "big"', 'line one\nline two'],
      ['2', ' Łódź ', ''],
    ];

    const text = await writeCsv(rows);
    const back = await collect(Readable.from([text]));

    expect(text.startsWith('id,name,notes\n')).toBe(true);
    expect(back.map((r) => r.cells)).toEqual(rows);
  });

  it('can start with a BOM for Excel', async () => {
    const text = await writeCsv([['a']], { bom: true });

    expect(text).toBe('\uFEFFa\n');
  });
});

describe('readCsvRows early exit', () => {
  it('stops reading when the consumer stops', async () => {
    const input = Readable.from((function* () {
      yield 'h\n';
      for (let i = 0; i < 1_000_000; i += 1) yield `${i}\n`;
    })());

    let header: ImportRow | undefined;
    for await (const row of readCsvRows(input)) {
      header = row;
      break;
    }

    expect(header).toEqual({ row: 1, cells: ['h'] });
    expect(input.destroyed).toBe(true);
  });
});
