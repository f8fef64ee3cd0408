/**
 * Where a job's files live in the bucket. Every key starts with a purpose and the organization,
 * so IAM policies and lifecycle rules can target prefixes, and no key is shared across orgs.
 */
export const fileKeys = {
  /** The uploaded input of an import. */
  importInput: (org: string, jobId: string, filename: string) => `imports/${org}/${jobId}/input/${safeFilename(filename)}`,
  /** Intermediate files of a running job (manifest, chunk results, export parts). */
  work: (org: string, jobId: string) => `work/${org}/${jobId}/`,
  manifest: (org: string, jobId: string) => `work/${org}/${jobId}/manifest.json`,
  /** What a chunk's commit writes, fixed at validation: JSON lines, one per new or changed row. */
  chunkWrites: (org: string, jobId: string, chunk: number) => `work/${org}/${jobId}/chunks/${chunk}.writes.ndjson`,
  /** Related records a chunk's commit creates first (a lookup's `create` policy). */
  chunkRelated: (org: string, jobId: string, chunk: number) => `work/${org}/${jobId}/chunks/${chunk}.related.json`,
  chunkSummary: (org: string, jobId: string, chunk: number) => `work/${org}/${jobId}/chunks/${chunk}.summary.json`,
  /** A chunk's data rows, normalized to JSON lines `[row, cells]` by the prepare step. */
  chunkRows: (org: string, jobId: string, chunk: number) => `work/${org}/${jobId}/rows/${chunk}.ndjson`,
  chunkErrors: (org: string, jobId: string, chunk: number) => `work/${org}/${jobId}/chunks/${chunk}.errors.json`,
  /** A chunk's unique-value claims, for the Decide step's cross-chunk check. */
  chunkClaims: (org: string, jobId: string, chunk: number) => `work/${org}/${jobId}/chunks/${chunk}.claims.json`,
  /** The duplicate errors the Decide step found in a chunk (only chunks that have some). */
  chunkDuplicates: (org: string, jobId: string, chunk: number) => `work/${org}/${jobId}/chunks/${chunk}.duplicates.json`,
  /** The failed rows of an import, next to its input. */
  errorReport: (org: string, jobId: string, filename: string) => `imports/${org}/${jobId}/errors/${safeFilename(filename)}`,
  decision: (org: string, jobId: string) => `work/${org}/${jobId}/decision.json`,
  exportPart: (org: string, jobId: string, segment: number) => `work/${org}/${jobId}/parts/${segment}.ndjson`,
  exportPartSummary: (org: string, jobId: string, segment: number) => `work/${org}/${jobId}/parts/${segment}.json`,
  /** A sorted run an ordered export's segment spilled before its last one (which is its part). */
  exportRun: (org: string, jobId: string, segment: number, run: number) => `work/${org}/${jobId}/parts/${segment}.run-${run}.ndjson`,
  /** Sorted runs merged ahead of the final merge, so that merge reads a bounded number of files. */
  exportMerge: (org: string, jobId: string, pass: number, group: number) => `work/${org}/${jobId}/parts/merge-${pass}-${group}.ndjson`,
  /**
   * A file the client PUTs straight to S3 with a presigned URL, before any job exists. The import
   * reads it in place; the upload id sits after the organization, so it cannot reach another one.
   */
  upload: (org: string, uploadId: string, filename: string) => `uploads/${org}/${uploadId}/${safeFilename(filename)}`,
  /** What the upload URL was issued for (file name, type, model, user), next to the upload. */
  uploadMeta: (org: string, uploadId: string) => `uploads/${org}/${uploadId}/meta.json`,
  /** The output of an export. */
  exportOutput: (org: string, jobId: string, filename: string) => `exports/${org}/${jobId}/${safeFilename(filename)}`,
};

/** Keeps a user-supplied file name to one safe path segment. */
export function safeFilename(filename: string): string {
  const base = filename.split(/[\\/]/).pop() ?? '';
  const cleaned = base.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '').slice(0, 120);
  return cleaned || 'file';
}
