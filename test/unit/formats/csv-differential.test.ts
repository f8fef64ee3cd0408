import { parse } from 'csv-parse/sync';
import { Readable } from 'node:stream';
import { readCsvRows } from '../../../layers/core/formats/csv';
import { createRng } from '../../../layers/erp/demo-data';
import { collect } from './support';

// The import reads CSV with its own splitter (docs/performance.md says why); csv-parse, the
// library it replaced, stays the reference: on well-formed files both must split identically.

const ALPHABET = ['a', 'b', 'Z', '0', '9', ' ', ',', ';', '\t', '"', '\n', '\r\n', '\r', 'ü', 'Ł', '東', '€', '=', '-', "'"];
const LINE_ENDINGS = ['\n', '\r\n', '\r'];

function randomCell(rng: () => number): string {
  const length = Math.floor(rng() * rng() * 12);
  let cell = '';
  for (let i = 0; i < length; i += 1) cell += ALPHABET[Math.floor(rng() * ALPHABET.length)];
  return cell;
}

/** RFC 4180 quoting, quoting some plain cells too (writers differ there). */
function quote(cell: string, rng: () => number): string {
  const needs = /[",\r\n]/.test(cell) || cell.startsWith(' ') || cell.endsWith(' ');
  return needs || rng() < 0.2 ? `"${cell.replaceAll('"', '""')}"` : cell;
}

function randomFile(rng: () => number): { text: string; records: string[][] } {
  const columns = 1 + Math.floor(rng() * 5);
  const rowCount = 1 + Math.floor(rng() * 30);
  const lineEnding = LINE_ENDINGS[Math.floor(rng() * LINE_ENDINGS.length)]!;
  const records: string[][] = [];
  for (let r = 0; r < rowCount; r += 1) {
    const record: string[] = Array.from({ length: columns }, () => randomCell(rng));
    // A record of one empty cell is a blank line, which readers may skip: keep one cell filled.
    if (record.every((cell) => cell.length === 0)) record[0] = 'x';
    records.push(record);
  }
  const body = records.map((record) => record.map((cell) => quote(cell, rng)).join(',')).join(lineEnding);
  return { text: rng() < 0.5 ? body + lineEnding : body, records };
}

function chunks(bytes: Buffer, rng: () => number): Readable {
  const parts: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; ) {
    const size = 1 + Math.floor(rng() * 64);
    parts.push(bytes.subarray(offset, offset + size));
    offset += size;
  }
  return Readable.from(parts);
}

describe('readCsvRows against csv-parse', () => {
  it('splits 2,000 random well-formed files exactly as csv-parse does, whatever the chunking', async () => {
    const rng = createRng(20261126);
    for (let file = 0; file < 2000; file += 1) {
      // Arrange
      const { text, records } = randomFile(rng);
      const reference = parse(text, { delimiter: ',', relax_column_count: true }) as string[][];

      // Act
      const rows = await collect(readCsvRows(chunks(Buffer.from(text, 'utf8'), rng), { delimiter: ',' }));

      // Assert
      expect(reference).toEqual(records);
      expect({ file, cells: rows.map((row) => row.cells) }).toEqual({ file, cells: reference });
      expect(rows.map((row) => row.row)).toEqual(reference.map((_, index) => index + 1));
    }
  });
});
