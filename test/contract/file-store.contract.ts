import { Readable } from 'node:stream';
import { FileNotFoundError } from '../../layers/core/errors';
import type { FileStore } from '../../layers/core/ports';

async function text(stream: Readable): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(parts).toString('utf8');
}

/**
 * The behaviour every FileStore adapter must have. `downloadsOverHttp`: the adapter's presigned
 * URLs (downloads and uploads) are served over HTTP, so the suite fetches them.
 */
export function fileStoreContract(name: string, create: () => Promise<FileStore>, options: { downloadsOverHttp?: boolean } = {}): void {
  describe(`FileStore contract: ${name}`, () => {
    let files: FileStore;
    let prefix: string;
    beforeEach(async () => {
      files = await create();
      prefix = `t/${Math.random().toString(36).slice(2, 10)}/`;
    });

    it('stores a buffer and reads it back with its size and type', async () => {
      const info = await files.put(`${prefix}a.csv`, Buffer.from('a,b\n1,2\n'), { contentType: 'text/csv' });

      expect(info.size).toBe(8);
      expect(await text(await files.get(`${prefix}a.csv`))).toBe('a,b\n1,2\n');
      expect(await files.head(`${prefix}a.csv`)).toMatchObject({ size: 8, contentType: 'text/csv' });
    });

    it('stores a stream larger than one multipart part byte for byte', async () => {
      const line = 'x'.repeat(1023) + '\n';
      const body = Readable.from((function* () {
        for (let i = 0; i < 10 * 1024; i++) yield Buffer.from(line);
      })());

      const info = await files.put(`${prefix}big.txt`, body);
      const back = await text(await files.get(`${prefix}big.txt`));

      expect(info.size).toBe(10 * 1024 * 1024);
      expect(back.length).toBe(10 * 1024 * 1024);
      expect(back.slice(0, 1024)).toBe(line);
    });

    it('reports missing files', async () => {
      await expect(files.get(`${prefix}none`)).rejects.toBeInstanceOf(FileNotFoundError);
      expect(await files.head(`${prefix}none`)).toBeUndefined();
    });

    it('deletes everything under a prefix and nothing else', async () => {
      await files.put(`${prefix}work/1`, 'a');
      await files.put(`${prefix}work/2`, 'b');
      await files.put(`${prefix}keep`, 'c');

      await files.deletePrefix(`${prefix}work/`);

      expect(await files.head(`${prefix}work/1`)).toBeUndefined();
      expect(await files.head(`${prefix}keep`)).toBeDefined();
    });

    it('presigns an upload: a PUT with the Content-Type to send and an expiry, storing nothing yet', async () => {
      const upload = await files.presignUpload(`${prefix}up/products.csv`, { contentType: 'text/csv', expiresInSeconds: 60 });

      expect(upload).toMatchObject({ method: 'PUT', headers: { 'Content-Type': 'text/csv' }, url: expect.any(String) });
      expect(Date.parse(upload.expiresAt)).toBeGreaterThan(Date.now());
      expect(Date.parse(upload.expiresAt)).toBeLessThanOrEqual(Date.now() + 61_000);
      expect(await files.head(`${prefix}up/products.csv`)).toBeUndefined();
    });

    if (options.downloadsOverHttp) {
      it('stores what a client PUTs to the presigned upload URL, with the signed type', async () => {
        const upload = await files.presignUpload(`${prefix}up/tags.csv`, { contentType: 'text/csv', expiresInSeconds: 60 });

        const response = await fetch(upload.url, { method: upload.method, headers: upload.headers, body: 'name\nred\n' });

        expect(response.status).toBe(200);
        expect(await files.head(`${prefix}up/tags.csv`)).toMatchObject({ size: 9, contentType: 'text/csv' });
        expect(await text(await files.get(`${prefix}up/tags.csv`))).toBe('name\nred\n');
        expect(new URL(upload.url).searchParams.get('X-Amz-SignedHeaders')).toContain('content-type');
      });

      it('presigns a download URL that serves the file as an attachment', async () => {
        await files.put(`${prefix}out.csv`, 'id\n1\n', { contentType: 'text/csv' });

        const url = await files.presignDownload(`${prefix}out.csv`, { filename: 'out.csv', expiresInSeconds: 60 });
        const response = await fetch(url.url);

        expect(response.status).toBe(200);
        expect(await response.text()).toBe('id\n1\n');
        expect(response.headers.get('content-disposition')).toContain('out.csv');
        expect(Date.parse(url.expiresAt)).toBeGreaterThan(Date.now());
      });
    }
  });
}
