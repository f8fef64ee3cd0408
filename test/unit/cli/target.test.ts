import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyToken } from '../../../lambdas/shared/jwt';
import { ConnectionError, UsageError } from '../../../bin/cli/errors';
import { findLocalStack, readLocalStateFile, removeLocalState, writeLocalState } from '../../../bin/cli/local-state';
import { resolveTarget } from '../../../bin/cli/target';

const SECRET = 'test-secret-0123456789abcdef';

describe('local.json', () => {
  let dataDir: string;
  beforeEach(() => (dataDir = mkdtempSync(join(tmpdir(), 'dataio-cli-'))));
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('round-trips the running stack and tells a live one from a stale one', () => {
    writeLocalState(dataDir, { api_url: 'http://127.0.0.1:3000', pid: 4242, started_at: '2026-11-26T11:00:00Z' });

    expect(readLocalStateFile(dataDir)).toEqual({ api_url: 'http://127.0.0.1:3000', pid: 4242, started_at: '2026-11-26T11:00:00Z' });
    expect(findLocalStack(dataDir, (pid) => pid === 4242)).toEqual({ state: expect.objectContaining({ pid: 4242 }) });
    expect(findLocalStack(dataDir, () => false)).toEqual({ missing: 'stale', state: expect.objectContaining({ pid: 4242 }) });
  });

  it('treats a missing or garbled file as no stack', () => {
    expect(findLocalStack(dataDir, () => true)).toEqual({ missing: 'no-record' });
    writeFileSync(join(dataDir, 'local.json'), '{"api_url": 3');
    expect(findLocalStack(dataDir, () => true)).toEqual({ missing: 'no-record' });
  });

  it('is removed only by the process that wrote it', () => {
    writeLocalState(dataDir, { api_url: 'http://127.0.0.1:3000', pid: 4242, started_at: 'x' });

    removeLocalState(dataDir, 1111);
    expect(readLocalStateFile(dataDir)).toBeDefined();
    removeLocalState(dataDir, 4242);
    expect(readLocalStateFile(dataDir)).toBeUndefined();
  });
});

describe('resolveTarget', () => {
  let dataDir: string;
  beforeEach(() => (dataDir = mkdtempSync(join(tmpdir(), 'dataio-cli-'))));
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  const context = (env: Record<string, string> = {}, alive = true) => ({ env, dataDir, isAlive: () => alive, secret: () => SECRET });
  const running = (extra: object = {}) => writeLocalState(dataDir, { api_url: 'http://127.0.0.1:3000/', pid: 4242, started_at: 'x', ...extra });

  it('finds the local stack and mints an admin token for acme with its secret', () => {
    running();

    const target = resolveTarget({}, context({ DATAIO_USER: 'alice' }));

    expect(target).toMatchObject({ apiUrl: 'http://127.0.0.1:3000', local: true, tokenSource: 'minted' });
    expect(verifyToken(target.token, SECRET)).toEqual({ org: 'acme', user: 'alice', perms: ['*'] });
  });

  it('mints for --org and --user, with the issuer and audience the stack expects', () => {
    running({ jwt_issuer: 'https://idp.example', jwt_audience: 'erp' });

    const target = resolveTarget({ org: 'globex', user: 'bob' }, context({ DATAIO_TOKEN: 'ignored' }));

    expect(target.tokenSource).toBe('minted');
    expect(verifyToken(target.token, SECRET, { issuer: 'https://idp.example', audience: 'erp' })).toEqual({ org: 'globex', user: 'bob', perms: ['*'] });
  });

  it('uses DATAIO_TOKEN when set, locally too', () => {
    running();

    expect(resolveTarget({}, context({ DATAIO_TOKEN: 'tok' }))).toMatchObject({ token: 'tok', tokenSource: 'DATAIO_TOKEN', local: true });
  });

  it('says how to start a stack when there is none, and when the recorded one is gone', () => {
    expect(() => resolveTarget({}, context())).toThrow(new ConnectionError('no local stack running: run `npx dataio start` or pass --api'));
    running();
    expect(() => resolveTarget({}, context({}, false))).toThrow(/no local stack running: run `npx dataio start` or pass --api \(the stack recorded in .*local\.json, pid 4242, is gone\)/);
  });

  it('sends a deployed API DATAIO_TOKEN, from --api or DATAIO_API_URL', () => {
    expect(resolveTarget({ api: 'https://api.example.com/prod/' }, context({ DATAIO_TOKEN: 'tok' }))).toEqual({ apiUrl: 'https://api.example.com/prod', token: 'tok', local: false, tokenSource: 'DATAIO_TOKEN' });
    expect(resolveTarget({}, context({ DATAIO_API_URL: 'https://api.example.com', DATAIO_TOKEN: 'tok' })).apiUrl).toBe('https://api.example.com');
  });

  it('prefers --api over a running local stack', () => {
    running();

    expect(resolveTarget({ api: 'https://api.example.com' }, context({ DATAIO_TOKEN: 'tok' }))).toMatchObject({ apiUrl: 'https://api.example.com', local: false });
  });

  it('never mints for a deployed API', () => {
    expect(() => resolveTarget({ api: 'https://api.example.com' }, context())).toThrow(new UsageError('no token for https://api.example.com: set DATAIO_TOKEN (the CLI mints tokens only for the local stack)'));
    expect(() => resolveTarget({ api: 'https://api.example.com', org: 'acme' }, context({ DATAIO_TOKEN: 'tok' }))).toThrow(/--org and --user make a token for the local stack/);
  });

  it('mints for --api when it names the running local stack', () => {
    running();

    expect(resolveTarget({ api: 'http://127.0.0.1:3000' }, context())).toMatchObject({ local: true, tokenSource: 'minted' });
  });
});
