/**
 * S3 on 127.0.0.1 with s3rver, objects stored as files under the data folder, the template's
 * buckets created with a permissive CORS rule (browsers upload through presigned URLs).
 */
import fs from 'node:fs';

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

export async function startS3Local(options: S3LocalOptions): Promise<S3Local> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const S3rver = require('s3rver') as S3rverConstructor;
  fs.mkdirSync(options.directory, { recursive: true });
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port ?? 0,
    directory: options.directory,
    silent: true,
    // Path-style only: virtual-host buckets would need DNS for *.127.0.0.1.
    vhostBuckets: false,
    allowMismatchedSignatures: true,
    configureBuckets: options.buckets.map((name) => ({ name, configs: [PERMISSIVE_CORS] })),
  });
  tolerateDirectoryCleanupRaces(server.store);
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  options.log?.(`s3: s3rver on ${endpoint} (${options.directory}), buckets ${options.buckets.join(', ')}`);
  return {
    endpoint,
    port: address.port,
    stop: async () => {
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
