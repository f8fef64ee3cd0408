import { Readable } from 'node:stream';
import type { FileInfo, FileStore } from '../../../layers/core/ports';
import { JsonLinesWriter, readJsonLines } from '../../../layers/core/jobs/json-lines';
import { InMemoryFileStore } from '../../support/in-memory-file-store';

describe('JsonLinesWriter and readJsonLines', () => {
  it('round-trips values line by line, text with line breaks and non-ASCII included', async () => {
    const files = new InMemoryFileStore();
    const values = Array.from({ length: 5000 }, (_, i) => ({ row: i + 2, text: i % 7 === 0 ? `Größe ${i}\nzweite Zeile "${i}"` : `plain ${i}` }));

    const writer = new JsonLinesWriter(files, 'work/x/lines.ndjson');
    for (const value of values) await writer.write(value);
    const info = await writer.close();
    const read = [];
    for await (const value of readJsonLines<(typeof values)[number]>(files, 'work/x/lines.ndjson')) read.push(value);

    expect(read).toEqual(values);
    expect(info.size).toBe(files.files.get('work/x/lines.ndjson')!.body.length);
    expect(files.text('work/x/lines.ndjson').split('\n')).toHaveLength(values.length + 1);
  });

  it('reads an empty file as no values', async () => {
    const files = new InMemoryFileStore();
    await files.put('empty.ndjson', '');

    const read = [];
    for await (const value of readJsonLines(files, 'empty.ndjson')) read.push(value);

    expect(read).toEqual([]);
  });

  it('stops waiting for the upload to drain when the upload fails', async () => {
    // A store that never reads the stream and then fails, as a broken connection would.
    const failing = {
      put: async (_key: string, _body: Readable | Buffer | string): Promise<FileInfo> => {
        await new Promise((resolve) => setTimeout(resolve, 10));
        throw new Error('upload failed');
      },
    } as unknown as FileStore;
    const writer = new JsonLinesWriter(failing, 'k');

    const writing = (async () => {
      for (let i = 0; i < 10_000; i += 1) await writer.write({ i, padding: 'x'.repeat(100) });
    })();

    await expect(writing).rejects.toThrow('upload failed');
    await expect(writer.abort(new Error('stop'))).resolves.toBeUndefined();
  });
});
