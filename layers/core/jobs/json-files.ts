import { FileNotFoundError } from '../errors';
import type { FileStore } from '../ports';

/** Reads a JSON file written by `writeJson`. */
export async function readJson<T>(files: FileStore, key: string): Promise<T> {
  const stream = await files.get(key);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as T;
}

/** Reads a JSON file, or returns undefined when it does not exist. */
export async function readJsonIfExists<T>(files: FileStore, key: string): Promise<T | undefined> {
  try {
    return await readJson<T>(files, key);
  } catch (error) {
    if (error instanceof FileNotFoundError) return undefined;
    throw error;
  }
}

/** Writes a value as a JSON file. */
export async function writeJson(files: FileStore, key: string, value: unknown): Promise<void> {
  await files.put(key, JSON.stringify(value), { contentType: 'application/json' });
}
