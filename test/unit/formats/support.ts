import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ImportRow } from '../../../layers/core/resources/validate-rows';

/** Path of a committed fixture file. */
export function fixturePath(name: string): string {
  return join(__dirname, '../../fixtures/files', name);
}

/** A fixture as a byte stream, as the file store hands it over. */
export function fixtureStream(name: string): Readable {
  return createReadStream(fixturePath(name));
}

/** Collects every row of a reader. */
export async function collect(rows: AsyncIterable<ImportRow>): Promise<ImportRow[]> {
  const all: ImportRow[] = [];
  for await (const row of rows) all.push(row);
  return all;
}

/** Reads a whole stream into one buffer. */
export async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

/** A stream of `bytes` in chunks of `size`, counting how many chunks were pulled. */
export function chunked(bytes: Buffer, size: number): { stream: Readable; pulled: () => number } {
  let pulled = 0;
  const stream = Readable.from(
    (function* () {
      for (let i = 0; i < bytes.length; i += size) {
        pulled += 1;
        yield bytes.subarray(i, i + size);
      }
    })(),
    { objectMode: false },
  );
  return { stream, pulled: () => pulled };
}
