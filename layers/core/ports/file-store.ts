import type { Readable } from 'node:stream';

/** What is known of a stored file. */
export interface FileInfo {
  readonly size: number;
  readonly contentType?: string;
}

/** A presigned URL and when it stops working. */
export interface PresignedUrl {
  readonly url: string;
  /** ISO 8601 timestamp. */
  readonly expiresAt: string;
}

/** A presigned upload: the client sends `method` to `url` with exactly `headers` (they are signed). */
export interface PresignedUpload extends PresignedUrl {
  readonly method: 'PUT';
  readonly headers: Readonly<Record<string, string>>;
}

/** Object storage for uploaded inputs, intermediate chunk files and outputs. Keys are full paths. */
export interface FileStore {
  /** Stores a body under a key, streaming when given a stream. Returns the stored size in bytes. */
  put(key: string, body: Readable | Buffer | string, options?: { contentType?: string }): Promise<FileInfo>;
  /** Opens a stored file for reading. Throws `FileNotFoundError` when the key does not exist. */
  get(key: string): Promise<Readable>;
  /** Size and type of a stored file, or undefined when the key does not exist. */
  head(key: string): Promise<FileInfo | undefined>;
  /** A URL that downloads the file, served as an attachment named `filename`. */
  presignDownload(key: string, options: { filename: string; expiresInSeconds: number }): Promise<PresignedUrl>;
  /**
   * A URL a client PUTs one file to, without passing through the API. The content type is part
   * of the signature, so the stored object has exactly that type; so is the length when given,
   * so the store refuses a body of any other size.
   */
  presignUpload(key: string, options: { contentType: string; expiresInSeconds: number; contentLength?: number }): Promise<PresignedUpload>;
  /** Deletes every key under a prefix (used to clean intermediate files). */
  deletePrefix(prefix: string): Promise<void>;
}
