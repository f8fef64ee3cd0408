/**
 * The security suite: what an attacker (or a careless client) tries against the API on the local
 * stack, over HTTP as a real client would. Each attempt must get the right status and message,
 * and nothing may be written or leaked: record and job counts are compared before and after.
 */
import { issueToken } from '../../lambdas/shared/jwt';
import { localJwtSecret } from '../../lib/local/jwt-secret';
import { ApiClient } from '../support/api-client';
import { unsignedJwt } from '../support/jwks-server';
import { startLocalStackProcess, type LocalStackProcess } from '../support/local-stack-process';
import { buildZip, entry, repeatedEntry, sheetXml, workbookParts } from '../support/zip-builder';

jest.setTimeout(600_000);

/** How long a job may take on a busy machine (the local stack runs four workflow tasks at a time). */
const WAIT_MS = 300_000;
const UNAUTHORIZED = { error: { code: 'unauthorized', message: 'Unauthorized', details: null } };
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const TAX_ID = /TX-\d{9}/;
const BANK_ACCOUNT = /DE\d{20}/;
const API_KEY = /key_\d{18}/;

describe('security, end to end over HTTP on the local stack', () => {
  let stack: LocalStackProcess;
  /** acme's administrator: every permission. */
  let alice: ApiClient;
  /** acme, may read own jobs and export products, may not import them. */
  let carol: ApiClient;
  /** globex's administrator: every permission, in another organization. */
  let globex: ApiClient;

  beforeAll(async () => {
    stack = await startLocalStackProcess();
    alice = new ApiClient(stack.apiUrl, stack.token({ org: 'acme', user: 'alice', perms: ['*'] }));
    carol = alice.withToken(stack.token({ org: 'acme', user: 'carol', perms: ['data-jobs:read', 'products:export'] }));
    globex = alice.withToken(stack.token({ org: 'globex', user: 'bob', perms: ['*'] }));
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** How many records of `model` the organization of `client` holds (a preview creates no job). */
  async function recordCount(client: ApiClient, model: string): Promise<number> {
    const preview = await client.request('POST', `/api/v1/${model}/export/preview/`, { limit: 1 });
    expect(preview.status).toBe(200);
    return preview.body.count;
  }

  /** Every job of the organization of `client` (an admin's list), by id and status. */
  async function jobs(client: ApiClient): Promise<Record<string, string>> {
    const all: Record<string, string> = {};
    let cursor: string | null = null;
    do {
      const page = await client.request('GET', `/api/v1/data-jobs/?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      for (const job of page.body.items) all[job.job_id] = job.status;
      cursor = page.body.next_cursor;
    } while (cursor);
    return all;
  }

  /** Records and jobs of both organizations, to compare before and after an attack. */
  async function snapshot() {
    const models = ['tags', 'products', 'customers'];
    return {
      acme: { jobs: await jobs(alice), ...Object.fromEntries(await Promise.all(models.map(async (m) => [m, await recordCount(alice, m)]))) },
      globex: { jobs: await jobs(globex), ...Object.fromEntries(await Promise.all(models.map(async (m) => [m, await recordCount(globex, m)]))) },
    };
  }

  /** Asks for an upload URL and PUTs the body to it; returns the upload id. */
  async function upload(client: ApiClient, model: string, filename: string, body: Buffer, contentType = 'text/csv'): Promise<string> {
    const ticket = await client.request('POST', `/api/v1/${model}/import/uploads/`, { filename, content_type: contentType, size: body.length });
    expect(ticket.status).toBe(201);
    expect(ticket.body.headers).toEqual({ 'Content-Type': contentType, 'Content-Length': String(body.length) });
    const put = await fetch(ticket.body.url, { method: 'PUT', headers: ticket.body.headers, body });
    expect(put.status).toBe(200);
    return ticket.body.upload_id;
  }

  async function exportDone(client: ApiClient, model: string, body: Record<string, unknown> = {}) {
    const started = await client.request('POST', `/api/v1/${model}/export/`, { format: 'csv', ...body });
    expect(started.status).toBe(202);
    const job = await client.waitForJob(started.body.job_id, WAIT_MS);
    expect(job.status).toBe('COMPLETED');
    return job;
  }

  /** Waits until `read` gives the same answer twice, 2 s apart (a cancelled job's last batch may still land). */
  async function untilStable(read: () => Promise<number>): Promise<void> {
    let last = await read();
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const next = await read();
      if (next === last) return;
      last = next;
    }
  }

  describe('tokens', () => {
    const claims = () => ({ sub: 'mallory', org: 'acme', perms: ['*'], iss: 'dataio', aud: 'dataio-api', iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 600 });

    it.each([
      ['no token', () => undefined],
      ['an expired token', () => stack.token({ org: 'acme', user: 'alice', perms: ['*'], ttlSeconds: -60 })],
      ['a token with a wrong signature', () => issueToken({ org: 'acme', user: 'alice', perms: ['*'] }, 'not-the-local-stack-secret-at-all')],
      ['an unsigned token (alg none)', () => unsignedJwt(claims())],
      ['alg none keeping a real signature', () => `${unsignedJwt(claims()).slice(0, -1)}.${stack.token({ org: 'acme', user: 'alice', perms: ['*'] }).split('.')[2]}`],
      ['a token of another issuer', () => issueToken({ org: 'acme', user: 'alice', perms: ['*'] }, localJwtSecret(stack.dataDir), { issuer: 'evil' })],
      ['a token of another audience', () => issueToken({ org: 'acme', user: 'alice', perms: ['*'] }, localJwtSecret(stack.dataDir), { audience: 'another-api' })],
      ['a token whose organization is a path', () => issueToken({ org: '../globex', user: 'alice', perms: ['*'] }, localJwtSecret(stack.dataDir))],
    ])('answer 401 to %s, on reads and writes alike, writing nothing', async (_case, token) => {
      const before = await snapshot();
      const intruder = alice.withToken(token());

      const listed = await intruder.request('GET', '/api/v1/data-jobs/');
      const exported = await intruder.request('POST', '/api/v1/products/export/', { format: 'csv' });
      const imported = await intruder.importCsv('tags', 'tags.csv', 'name\nintruder-tag\n');

      for (const answer of [listed, exported, imported]) {
        expect(answer.status).toBe(401);
        expect(answer.body).toEqual(UNAUTHORIZED);
      }
      expect(await snapshot()).toEqual(before);
    });
  });

  describe("another organization's job", () => {
    let acmeExport: { job_id: string; output_file: { download_url: string } };

    beforeAll(async () => {
      acmeExport = await exportDone(alice, 'customers');
    });

    it('is not found when read, and nothing of it leaks (no file, no download URL)', async () => {
      const read = await globex.request('GET', `/api/v1/data-jobs/${acmeExport.job_id}/`);
      const upper = await globex.request('GET', `/api/v1/data-jobs/${acmeExport.job_id.toUpperCase()}/`);
      const listed = await jobs(globex);

      expect(read.status).toBe(404);
      expect(read.body).toEqual({ error: { code: 'not_found', message: `data job '${acmeExport.job_id}' not found`, details: null } });
      expect(upper.status).toBe(404);
      expect(Object.keys(listed)).not.toContain(acmeExport.job_id);
      expect(JSON.stringify([read.body, upper.body])).not.toMatch(/acme|download_url|exports\//);
    });

    it('cannot be cancelled: 404 whatever its status (never 409, which would tell it exists), and it stays as it was', async () => {
      const open = await alice.request('POST', '/api/v1/tags/import/', form('tags.csv', Buffer.from(['name', ...Array.from({ length: 5_000 }, (_, i) => `sec-cancel-${i}`)].join('\n'))));
      expect(open.status).toBe(202);

      const cancelDone = await globex.request('POST', `/api/v1/data-jobs/${acmeExport.job_id}/cancel/`);
      const cancelOpen = await globex.request('POST', `/api/v1/data-jobs/${open.body.job_id}/cancel/`);
      const openAfter = await alice.request('GET', `/api/v1/data-jobs/${open.body.job_id}/`);

      for (const [answer, id] of [[cancelDone, acmeExport.job_id], [cancelOpen, open.body.job_id]] as const) {
        expect(answer.status).toBe(404);
        expect(answer.body).toEqual({ error: { code: 'not_found', message: `data job '${id}' not found`, details: null } });
      }
      expect((await alice.request('GET', `/api/v1/data-jobs/${acmeExport.job_id}/`)).body.status).toBe('COMPLETED');
      expect(openAfter.body.status).not.toBe('CANCELLED');
      // Its owner still can (unless it finished meanwhile); the tests after it see a quiet stack.
      const own = await alice.request('POST', `/api/v1/data-jobs/${open.body.job_id}/cancel/`);
      expect([200, 409]).toContain(own.status);
      expect(['CANCELLED', 'COMPLETED']).toContain((await alice.waitForJob(open.body.job_id, WAIT_MS)).status);
      await untilStable(() => recordCount(alice, 'tags'));
    });

    it('cannot be imported into: its upload is not found, and an import of its own writes only its own organization', async () => {
      const acmeUpload = await upload(alice, 'tags', 'tags.csv', Buffer.from('name\nacme-private-upload\n'));
      const before = await snapshot();

      const stolen = await globex.request('POST', '/api/v1/tags/import/', { upload_id: acmeUpload });

      expect(stolen.status).toBe(404);
      expect(stolen.body).toEqual({ error: { code: 'not_found', message: 'upload not found', details: null } });
      expect(await snapshot()).toEqual(before);

      const own = await globex.importCsv('tags', 'tags.csv', 'name\nglobex-own-tag\n');
      expect((await globex.waitForJob(own.body.job_id, WAIT_MS)).status).toBe('COMPLETED');
      const after = await snapshot();
      expect(after.acme).toEqual(before.acme);
      expect(after.globex.tags).toBe(before.globex.tags + 1);
    });

    it("cannot be read by another user of the same organization without data-jobs:admin", async () => {
      const read = await carol.request('GET', `/api/v1/data-jobs/${acmeExport.job_id}/`);

      expect(read.status).toBe(404);
      expect(read.body.error.code).toBe('not_found');
    });
  });

  describe('permissions', () => {
    it('refuse an import without products:import (403 naming it), and write nothing', async () => {
      const before = await snapshot();

      const multipart = await carol.importCsv('products', 'products.csv', 'sku,name,price,category\nSEC-1,Intruder,1.00,TOOLS-HAND\n');
      const ticket = await carol.request('POST', '/api/v1/products/import/uploads/', { filename: 'products.csv', content_type: 'text/csv' });

      for (const answer of [multipart, ticket]) {
        expect(answer.status).toBe(403);
        expect(answer.body).toEqual({ error: { code: 'forbidden', message: "missing permission 'products:import'", details: null } });
      }
      expect(await snapshot()).toEqual(before);
    });
  });

  describe('upload ids', () => {
    it.each([
      ['path traversal', '../../globex/01jabcdefghjkmnpqrstvwxyz0'],
      ['another organization’s prefix', 'globex/01jabcdefghjkmnpqrstvwxyz0'],
      ['a traversal after a valid id', '01jabcdefghjkmnpqrstvwxyz0/../../globex'],
      ['an encoded traversal', '..%2F..%2Fglobex%2F01jabcdefghjkmnpqrstvwxyz0'],
      ['a key', 'uploads/globex/01jabcdefghjkmnpqrstvwxyz0/tags.csv'],
    ])('answer 400 to %s, before anything is read', async (_case, uploadId) => {
      const before = await snapshot();

      const answer = await alice.request('POST', '/api/v1/tags/import/', { upload_id: uploadId });

      expect(answer.status).toBe(400);
      expect(answer.body.error).toMatchObject({ code: 'validation_error', message: 'upload_id: must be the upload_id returned by POST .../import/uploads/' });
      expect(await snapshot()).toEqual(before);
    });

    it("answer 404 to another organization's real upload id", async () => {
      const globexUpload = await upload(globex, 'tags', 'tags.csv', Buffer.from('name\nglobex-private-upload\n'));
      const before = await snapshot();

      const answer = await alice.request('POST', '/api/v1/tags/import/', { upload_id: globexUpload });

      expect(answer.status).toBe(404);
      expect(answer.body).toEqual({ error: { code: 'not_found', message: 'upload not found', details: null } });
      expect(await snapshot()).toEqual(before);
    });
  });

  describe('file limits', () => {
    it('refuse a file over the direct-upload limit (400), and an upload announced over the upload limit before signing', async () => {
      const before = await snapshot();
      const big = Buffer.alloc(4 * 1024 * 1024 + 1, 'a');

      const direct = await alice.request('POST', '/api/v1/tags/import/', form('tags.csv', big));
      const announced = await alice.request('POST', '/api/v1/tags/import/uploads/', { filename: 'tags.csv', content_type: 'text/csv', size: 6 * 1024 ** 3 });

      expect(direct.status).toBe(400);
      expect(direct.body.error).toMatchObject({ code: 'validation_error', message: `the file is ${big.length} bytes; the limit for direct uploads is ${4 * 1024 * 1024} bytes` });
      expect(announced.status).toBe(400);
      expect(announced.body.error).toMatchObject({ code: 'validation_error', message: `the file is ${6 * 1024 ** 3} bytes; the limit for uploads is ${5 * 1024 ** 3} bytes` });
      expect(await snapshot()).toEqual(before);
    });

    it('refuse an upload whose file is not the size its URL was issued for', async () => {
      const ticket = await alice.request('POST', '/api/v1/tags/import/uploads/', { filename: 'tags.csv', content_type: 'text/csv', size: 10 });
      // S3 refuses a body of another length, the signature covers it; s3rver does not check
      // signatures, so the import's own check is what this proves.
      await fetch(ticket.body.url, { method: 'PUT', headers: { 'Content-Type': 'text/csv' }, body: 'name\nlonger-than-announced\n' });
      const before = await snapshot();

      const answer = await alice.request('POST', '/api/v1/tags/import/', { upload_id: ticket.body.upload_id });

      expect(answer.status).toBe(400);
      expect(answer.body.error.message).toBe('the uploaded file is 27 bytes, but its upload URL was issued for 10 bytes');
      expect(await snapshot()).toEqual(before);
    });

    it('fail a zip bomb XLSX (1.1 GB of XML in 1 MB) with xlsx_too_large, writing nothing', async () => {
      const sheet = sheetXml(['name']);
      const bomb = await repeatedEntry('xl/worksheets/sheet1.xml', { prefix: sheet.start, fill: ' ', fillBytes: 1100 * 1024 ** 2, suffix: `<row r="2"><c r="A2" t="inlineStr"><is><t>bomb-tag</t></is></c></row>${sheet.end}` });
      const honest = buildZip([...workbookParts(), bomb]);
      // The same bomb with headers that claim a small size: caught by what it inflates to.
      const lying = buildZip([...workbookParts(), { ...bomb, size: 4096 }]);
      const before = await snapshot();

      for (const file of [honest, lying]) {
        const started = await alice.request('POST', '/api/v1/tags/import/', { upload_id: await upload(alice, 'tags', 'bomb.xlsx', file, XLSX_TYPE) });
        expect(started.status).toBe(202);
        const job = await alice.waitForJob(started.body.job_id, WAIT_MS);

        expect(job.status).toBe('FAILED');
        expect(job.result_log.error).toMatchObject({ code: 'xlsx_too_large', message: expect.stringContaining(`more than ${1024 ** 3} bytes`) });
        expect(job.result_log.totals).toMatchObject({ new: 0, updated: 0 });
      }
      const after = await snapshot();
      expect({ ...after.acme, jobs: undefined }).toEqual({ ...before.acme, jobs: undefined });
      expect(after.globex).toEqual(before.globex);
    });

    it('fail an XLSX of too many zip entries with xlsx_too_large', async () => {
      const sheet = sheetXml(['name']);
      // The padding comes first: a reader that stops at the sheet never opens what follows it.
      const padding = Array.from({ length: 10_001 }, (_, i) => entry(`xl/media/pad${i}.bin`, ''));
      const file = buildZip([...padding, ...workbookParts(), entry('xl/worksheets/sheet1.xml', `${sheet.start}<row r="2"><c r="A2" t="inlineStr"><is><t>entries-tag</t></is></c></row>${sheet.end}`)]);
      const before = await recordCount(alice, 'tags');

      const started = await alice.request('POST', '/api/v1/tags/import/', { upload_id: await upload(alice, 'tags', 'entries.xlsx', file, XLSX_TYPE) });
      const job = await alice.waitForJob(started.body.job_id, WAIT_MS);

      expect(job.status).toBe('FAILED');
      expect(job.result_log.error.code).toBe('xlsx_too_large');
      expect(await recordCount(alice, 'tags')).toBe(before);
    });

    it('fail a CSV with a 10 MB cell with cell_too_long, writing nothing', async () => {
      const csv = Buffer.concat([Buffer.from('name\nfirst-fine-tag\n"'), Buffer.alloc(10 * 1024 * 1024, 'x'), Buffer.from('"\nlast-fine-tag\n')]);
      const before = await snapshot();

      const started = await alice.request('POST', '/api/v1/tags/import/', { upload_id: await upload(alice, 'tags', 'long-cell.csv', csv), skip_errors: true });
      expect(started.status).toBe(202);
      const job = await alice.waitForJob(started.body.job_id, WAIT_MS);

      expect(job.status).toBe('FAILED');
      expect(job.result_log.error).toMatchObject({ code: 'cell_too_long', message: expect.stringContaining('32767') });
      const after = await snapshot();
      expect({ ...after.acme, jobs: undefined }).toEqual({ ...before.acme, jobs: undefined });
      expect(after.globex).toEqual(before.globex);
    });
  });

  describe('sensitive fields', () => {
    it('refuse an export asking for one: 400 with a clear message, and no job', async () => {
      const before = await snapshot();

      const exported = await alice.request('POST', '/api/v1/customers/export/', { format: 'csv', fields: ['name', 'tax_id'] });
      const previewed = await alice.request('POST', '/api/v1/customers/export/preview/', { fields: ['tax_id'] });
      const filtered = await alice.request('POST', '/api/v1/suppliers/export/', { format: 'csv', filters: { field: 'bank_account', op: 'startswith', value: 'DE' } });
      const ordered = await alice.request('POST', '/api/v1/products/export/', { format: 'csv', ordering: ['-cost_price'] });

      expect(exported.status).toBe(400);
      expect(exported.body.error).toEqual({ code: 'validation_error', message: "fields[1]: field 'tax_id' cannot be exported: it is sensitive", details: { path: 'fields[1]', field: 'tax_id' } });
      expect(previewed.status).toBe(400);
      expect(previewed.body.error.message).toBe("fields[0]: field 'tax_id' cannot be exported: it is sensitive");
      expect(filtered.status).toBe(400);
      expect(filtered.body.error.message).toContain("field 'bank_account' cannot be filtered on");
      expect(ordered.status).toBe(400);
      expect(ordered.body.error.message).toContain("field 'cost_price' cannot be ordered by");
      expect(await snapshot()).toEqual(before);
    });

    it('never appear in an export file or a preview answer', async () => {
      const files: string[] = [];
      for (const model of ['customers', 'suppliers', 'contacts', 'products']) {
        const job = await exportDone(alice, model);
        files.push(await (await fetch(job.output_file.download_url)).text());
        files.push(JSON.stringify((await alice.request('POST', `/api/v1/${model}/export/preview/`, { limit: 100 })).body));
      }
      const everything = files.join('\n');

      expect(everything.length).toBeGreaterThan(10_000);
      for (const secret of [TAX_ID, BANK_ACCOUNT, API_KEY]) expect(everything).not.toMatch(secret);
      expect(everything).not.toMatch(/tax_id|bank_account|api_key|cost_price/);
    });
  });
});

/** A multipart import body with one file. */
function form(filename: string, body: Buffer, contentType = 'text/csv'): FormData {
  const data = new FormData();
  data.append('file', new Blob([body], { type: contentType }), filename);
  return data;
}
