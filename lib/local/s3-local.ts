/**
 * S3 on 127.0.0.1 with s3rver in a process of its own, objects stored as files under the data
 * folder, the template's buckets created with a permissive CORS rule (browsers upload through
 * presigned URLs).
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface S3LocalOptions {
  readonly directory: string;
  readonly buckets: readonly string[];
  /** @default 0 (a free port) */
  readonly port?: number;
  readonly log?: (message: string) => void;
}

export interface S3Local {
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** The s3rver surface this module uses (the package ships no types). */
interface S3rverInstance {
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
  httpServer?: { closeAllConnections?: () => void };
  store: { deleteObject(bucket: string, key: string): Promise<void> };
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;

const PERMISSIVE_CORS = `<CORSConfiguration>
  <CORSRule>
    <AllowedOrigin>*</AllowedOrigin>
    <AllowedMethod>GET</AllowedMethod>
    <AllowedMethod>PUT</AllowedMethod>
    <AllowedMethod>POST</AllowedMethod>
    <AllowedMethod>HEAD</AllowedMethod>
    <AllowedMethod>DELETE</AllowedMethod>
    <AllowedHeader>*</AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader>
    <MaxAgeSeconds>3000</MaxAgeSeconds>
  </CORSRule>
</CORSConfiguration>`;

/**
 * Starts s3rver in a child process of its own (`s3-local-main.ts`), as DynamoDB Local runs in its
 * own Java process: S3 is a service, not part of the function that calls it, so the bytes s3rver
 * receives and serves are not counted, collected or buffered in the stack's process, and the
 * memory the stack reports is that of API Gateway, Step Functions and the handlers alone.
 */
export async function startS3Local(options: S3LocalOptions): Promise<S3Local> {
  fs.mkdirSync(options.directory, { recursive: true });
  const child = fork(path.join(__dirname, 's3-local-main.ts'), [], {
    // tsx's CommonJS loader, found from here: the stack may run from any working directory.
    execArgv: ['--require', require.resolve('tsx/cjs')],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message) => {
      const reply = message as S3LocalReply;
      if ('error' in reply) reject(new Error(`s3rver did not start: ${reply.error}`));
      else resolve(reply.port);
    });
    child.once('exit', (code, signal) => reject(new Error(`s3rver exited before it was ready (${signal ?? `exit code ${code}`})`)));
    const request: S3LocalRequest = { directory: options.directory, buckets: options.buckets, port: options.port ?? 0 };
    child.send(request);
  }).catch(async (error: unknown) => {
    child.kill('SIGKILL');
    await exited;
    throw error;
  });
  const endpoint = `http://127.0.0.1:${port}`;
  options.log?.(`s3: s3rver on ${endpoint} (${options.directory}, process ${child.pid}), buckets ${options.buckets.join(', ')}`);
  return {
    endpoint,
    port,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(force);
    },
  };
}

/** What the parent sends the s3rver process once. */
export interface S3LocalRequest {
  readonly directory: string;
  readonly buckets: readonly string[];
  readonly port: number;
}

/** The s3rver process's one reply. */
export type S3LocalReply = { readonly port: number } | { readonly error: string };

/** Runs s3rver in this process (the body of `s3-local-main.ts`). */
export async function runS3rver(request: S3LocalRequest): Promise<{ port: number; close: () => Promise<void> }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const S3rver = require('s3rver') as S3rverConstructor;
  const server = new S3rver({
    address: '127.0.0.1',
    port: request.port,
    directory: request.directory,
    silent: true,
    // Path-style only: virtual-host buckets would need DNS for *.127.0.0.1.
    vhostBuckets: false,
    allowMismatchedSignatures: true,
    configureBuckets: request.buckets.map((name) => ({ name, configs: [PERMISSIVE_CORS] })),
  });
  tolerateDirectoryCleanupRaces(server.store);
  const address = await server.run();
  return {
    port: address.port,
    close: async () => {
      const closing = server.close();
      server.httpServer?.closeAllConnections?.();
      await closing;
    },
  };
}

/**
 * s3rver 3.7 removes the directories a deleted key leaves empty, and DeleteObjects deletes its
 * keys in parallel: two keys of one directory race (one removes the directory the other then
 * lists or removes), and the whole request fails with 500 InternalError. An import of 1,000,000
 * rows leaves 1,200 work files in a few directories and hit it on cleanup. S3 has no directories
 * to tidy, so a lost race (ENOENT, ENOTEMPTY: only the tidying can raise them, s3rver already
 * ignores a missing object file) is not an error.
 */
export function tolerateDirectoryCleanupRaces(store: S3rverInstance['store']): void {
  const deleteObject = store.deleteObject.bind(store);
  store.deleteObject = async (bucket, key) => {
    try {
      await deleteObject(bucket, key);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== 'ENOENT' && code !== 'ENOTEMPTY') throw error;
    }
  };
}
