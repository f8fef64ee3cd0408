import { NotFoundError, ValidationError } from '../errors';
import type { JobDeps } from './deps';
import { fileKeys } from './file-keys';
import { newUlid } from './ids';
import { IMPORT_CONTENT_TYPES, importFormatOf } from './import-format';
import { readJsonIfExists, writeJson } from './json-files';
import { requirePermission } from './permissions';

/**
 * An upload id: a ULID (Crockford base32, 26 characters, first one 0–7). Nothing else can be
 * expressed, so an id can never climb out of, or point into, another organization's prefix.
 */
export const UPLOAD_ID_PATTERN = /^[0-7][0-9a-hjkmnp-tv-z]{25}$/i;

/** What a caller asks for when preparing a direct upload of an import file. */
export interface CreateUploadInput {
  readonly org: string;
  readonly user: string;
  readonly perms: readonly string[];
  /** Plural model name from the URL. */
  readonly model: string;
  /** Name of the file to upload; its extension decides the import format. */
  readonly filename: string;
  /** The type the client will send; the import format's own type when absent. */
  readonly contentType?: string;
  /**
   * The exact size in bytes the client will PUT. Given, it is checked against `maxUploadBytes`
   * now and signed into the URL, so the store refuses a body of any other length.
   */
  readonly size?: number;
}

/** Where and how to PUT the file, as API clients see it. */
export interface UploadTicket {
  readonly upload_id: string;
  readonly url: string;
  readonly method: 'PUT';
  /** Headers the PUT must carry exactly (they are part of the signature). */
  readonly headers: Readonly<Record<string, string>>;
  readonly expires_at: string;
}

/** What was asked when an upload URL was issued, stored next to the upload. */
export interface UploadMeta {
  readonly filename: string;
  readonly content_type: string;
  /** Plural model name. */
  readonly model: string;
  readonly user: string;
  readonly created_at: string;
  /** The size the client announced (and the URL was signed for), when it did. */
  readonly size?: number;
}

/** A MIME type, optionally with parameters (`text/csv; charset=utf-8`). */
const CONTENT_TYPE_PATTERN = /^[\w.+-]+\/[\w.+-]+(\s*;\s*[\w.+-]+=("[^"\r\n]*"|[\w.+-]+))*$/;

/**
 * Prepares a direct upload of an import file: the client PUTs it to S3, then starts the import
 * with the returned `upload_id` (see `createImportJobFromUpload`). Large files never pass through
 * the API, whose payload limit is a few MB.
 *
 * 1. Resolve the model and check the caller's `<model>:import` permission.
 * 2. Check the file type (by name), the content type and the announced size, before anything is
 *    signed.
 * 3. Store what was asked (`meta.json`) under `uploads/<org>/<upload_id>/`.
 * 4. Presign a PUT of that one key, with a short expiry, the content type and (when announced)
 *    the exact length signed.
 */
export async function createUpload(deps: Pick<JobDeps, 'files' | 'models' | 'settings' | 'now'>, input: CreateUploadInput): Promise<UploadTicket> {
  const model = deps.models.require(input.model);
  requirePermission(input.perms, `${model.plural}:import`);
  const format = importFormatOf(input.filename);
  const contentType = input.contentType?.trim() || IMPORT_CONTENT_TYPES[format];
  if (contentType.length > 200 || !CONTENT_TYPE_PATTERN.test(contentType)) {
    throw new ValidationError(`'${contentType.slice(0, 200)}' is not a content type such as text/csv`, { path: 'content_type' });
  }
  const size = input.size;
  if (size !== undefined) checkUploadSize(size, deps.settings.maxUploadBytes, 'size');
  const now = deps.now();
  const uploadId = newUlid(now.getTime());
  const key = fileKeys.upload(input.org, uploadId, input.filename);
  const meta: UploadMeta = { filename: input.filename, content_type: contentType, model: model.plural, user: input.user, created_at: now.toISOString(), ...(size !== undefined ? { size } : {}) };
  await writeJson(deps.files, fileKeys.uploadMeta(input.org, uploadId), meta);
  const signed = await deps.files.presignUpload(key, { contentType, expiresInSeconds: deps.settings.uploadUrlTtlSeconds, ...(size !== undefined ? { contentLength: size } : {}) });
  return { upload_id: uploadId, url: signed.url, method: signed.method, headers: signed.headers, expires_at: signed.expiresAt };
}

/** An upload of the caller's organization: what was asked, and the key the file is PUT to. */
export interface FoundUpload extends UploadMeta {
  readonly upload_id: string;
  readonly key: string;
}

/**
 * The upload `uploadId` of the caller, read from its `meta.json` under the caller's organization.
 * The id is checked before anything is read, so it cannot climb out of the organization's prefix
 * or name another one's; an upload of another user is not found either (an upload is one
 * person's file until it is imported). The file's key is derived again from the organization and
 * the id, never taken from stored data.
 * @throws ValidationError when the id is not a ULID; NotFoundError when the caller has no such upload
 */
export async function findUpload(deps: Pick<JobDeps, 'files'>, caller: { readonly org: string; readonly user: string }, uploadId: string): Promise<FoundUpload> {
  if (!UPLOAD_ID_PATTERN.test(uploadId)) {
    throw new ValidationError('upload_id must be the upload_id returned by POST .../import/uploads/ (26 letters and digits)', { path: 'upload_id' });
  }
  const id = uploadId.toLowerCase();
  const meta = await readJsonIfExists<UploadMeta>(deps.files, fileKeys.uploadMeta(caller.org, id));
  if (!meta || meta.user !== caller.user) throw new NotFoundError('upload not found');
  return { ...meta, upload_id: id, key: fileKeys.upload(caller.org, id, meta.filename) };
}

/**
 * Checks the size of a file uploaded with a presigned URL against the limit.
 * @throws ValidationError at `path` for a size that is not a positive whole number or is over the limit
 */
export function checkUploadSize(size: number, limit: number, path: string): void {
  if (!Number.isSafeInteger(size) || size <= 0) throw new ValidationError(`${path}: must be the file's size in bytes, a whole number above 0`, { path });
  if (size > limit) throw new ValidationError(`the file is ${size} bytes; the limit for uploads is ${limit} bytes`, { path });
}
