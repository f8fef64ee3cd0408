import { DataioError } from '../../errors';

/** A report would be longer than the configured page limit (`PDF_MAX_PAGES`). */
export class ReportTooLargeError extends DataioError {
  constructor(readonly maxPages: number, options?: { cause?: unknown }) {
    super(
      `the report would be longer than ${maxPages} pages (PDF_MAX_PAGES); narrow the filter or export as CSV or XLSX instead`,
      'report_too_large',
      { maxPages },
      options,
    );
    this.name = 'ReportTooLargeError';
  }
}
