import { generateKeyPairSync, sign, type JsonWebKey, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A signing key of a test identity provider. */
export interface TestKey {
  readonly kid: string;
  readonly alg: 'RS256' | 'ES256';
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** The public JWK as a JWKS lists it. */
  readonly jwk: JsonWebKey & { kid: string; use: string; alg?: string };
}

/** A fresh key pair: RSA 2048 for RS256, P-256 for ES256 (or RSA of `modulusLength` bits). */
export function generateTestKey(kid: string, alg: 'RS256' | 'ES256', options: { modulusLength?: number; declareAlg?: string | false } = {}): TestKey {
  const { privateKey, publicKey } =
    alg === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: options.modulusLength ?? 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const declared = options.declareAlg === undefined ? alg : options.declareAlg;
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', ...(declared ? { alg: declared } : {}) };
  return { kid, alg, privateKey, publicKey, jwk };
}

/** Signs a JWT with any header and payload (so tests can forge every variant). */
export function signJwt(header: Record<string, unknown>, payload: Record<string, unknown>, key: TestKey, options: { dsaEncoding?: 'der' | 'ieee-p1363' } = {}): string {
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  const signature =
    key.alg === 'ES256'
      ? sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: options.dsaEncoding ?? 'ieee-p1363' })
      : sign('sha256', Buffer.from(input), key.privateKey);
  return `${input}.${signature.toString('base64url')}`;
}

/** An unsigned token (`alg: none`), the classic forgery. */
export function unsignedJwt(payload: Record<string, unknown>, header: Record<string, unknown> = { alg: 'none', typ: 'JWT' }): string {
  return `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.`;
}

/** A JWKS endpoint on 127.0.0.1 whose keys a test can swap, counting the fetches it answers. */
export interface JwksServer {
  readonly url: string;
  fetches: number;
  keys: TestKey[];
  /** Answer with this status instead of the key set. */
  failWith?: number;
  close(): Promise<void>;
}

/** Starts a JWKS endpoint serving `keys` at `/.well-known/jwks.json`. */
export async function startJwksServer(keys: TestKey[]): Promise<JwksServer> {
  const state: JwksServer = {
    url: '',
    fetches: 0,
    keys,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((request, response) => {
    state.fetches += 1;
    if (state.failWith) {
      response.writeHead(state.failWith).end('unavailable');
      return;
    }
    if (request.url !== '/.well-known/jwks.json') {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: state.keys.map((k) => k.jwk) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (state as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  return state;
}
