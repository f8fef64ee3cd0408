import { z } from 'zod';
import { DEFAULT_JOB_SETTINGS } from '../../layers/core/jobs/deps';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/**
 * The environment every handler may read, validated once per cold start. Table, bucket and
 * state machine names are optional here because each function gets only what it uses; the
 * composition root fails with a clear message when a handler needs one that is missing.
 */
export const envSchema = z.object({
  JOBS_TABLE_NAME: z.string().min(1).optional(),
  RECORDS_TABLE_NAME: z.string().min(1).optional(),
  FILES_BUCKET_NAME: z.string().min(1).optional(),
  IMPORT_STATE_MACHINE_ARN: z.string().min(1).optional(),
  EXPORT_STATE_MACHINE_ARN: z.string().min(1).optional(),
  JWT_SECRET: z.string().min(16).optional(),
  JWT_SECRET_ARN: z.string().min(1).optional(),
  JWT_ISSUER: z.string().default('dataio'),
  JWT_AUDIENCE: z.string().default('dataio-api'),
  // Set: tokens are RS256/ES256 from this identity provider's key set, and HS256 is refused.
  JWT_JWKS_URL: z.string().url().optional(),
  JWT_USER_CLAIM: z.string().min(1).default('sub'),
  JWT_ORG_CLAIM: z.string().min(1).default('org'),
  JWT_PERMS_CLAIM: z.string().min(1).default('perms'),
  IMPORT_CHUNK_ROWS: positiveInt(DEFAULT_JOB_SETTINGS.importChunkRows),
  EXPORT_SEGMENTS: positiveInt(DEFAULT_JOB_SETTINGS.exportSegments),
  DOWNLOAD_URL_TTL_SECONDS: positiveInt(DEFAULT_JOB_SETTINGS.downloadUrlTtlSeconds),
  MAX_DIRECT_UPLOAD_BYTES: positiveInt(DEFAULT_JOB_SETTINGS.maxDirectUploadBytes),
  UPLOAD_URL_TTL_SECONDS: positiveInt(DEFAULT_JOB_SETTINGS.uploadUrlTtlSeconds),
  MAX_UPLOAD_BYTES: positiveInt(DEFAULT_JOB_SETTINGS.maxUploadBytes),
  PDF_MAX_PAGES: positiveInt(DEFAULT_JOB_SETTINGS.pdfMaxPages),
  /** Import read limits (see `ReadLimits`); a file over one fails its job with the limit's code. */
  MAX_IMPORT_ROWS: positiveInt(DEFAULT_JOB_SETTINGS.importLimits.maxRows),
  MAX_IMPORT_COLUMNS: positiveInt(DEFAULT_JOB_SETTINGS.importLimits.maxColumns),
  MAX_IMPORT_CELL_CHARS: positiveInt(DEFAULT_JOB_SETTINGS.importLimits.maxCellChars),
  MAX_XLSX_INFLATED_BYTES: positiveInt(DEFAULT_JOB_SETTINGS.importLimits.maxXlsxInflatedBytes),
  MAX_XLSX_ENTRIES: positiveInt(DEFAULT_JOB_SETTINGS.importLimits.maxXlsxEntries),
  JOB_TTL_DAYS: positiveInt(90),
  /** The stuck-job sweeper fails a job RUNNING longer than this, or PENDING/QUEUED longer than the next. */
  STUCK_RUNNING_MINUTES: positiveInt(360),
  STUCK_QUEUED_MINUTES: positiveInt(60),
  AWS_ENDPOINT_URL_S3: z.string().url().optional(),
});

/** The validated environment. */
export type Env = z.infer<typeof envSchema>;

let cached: Env | undefined;

/** Reads and validates the environment (once). */
export function readEnv(source: NodeJS.ProcessEnv = process.env): Env {
  if (source !== process.env) return envSchema.parse(source);
  cached ??= envSchema.parse(source);
  return cached;
}

/** Returns a required setting or fails with the name of the missing variable. */
export function requireSetting<K extends keyof Env>(env: Env, name: K): NonNullable<Env[K]> {
  const value = env[name];
  if (value === undefined || value === null || value === '') throw new Error(`environment variable ${String(name)} is not set for this function`);
  return value as NonNullable<Env[K]>;
}
