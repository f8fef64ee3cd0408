import type { PdfLayout, PdfLayoutOptions } from '../formats/pdf/pdf-layout';
import type { Cell, ExportColumn } from '../formats/types';
import type { ModelDefinition, StoredRecord } from '../model/types';
import type { StoreFilter } from '../ports/record-store';

/** What a report's `render` works with. */
export interface ReportContext {
  readonly org: string;
  readonly user: string;
  readonly model: ModelDefinition;
  readonly generatedAt: Date;
  /** The export's filter in words ("all records" without one). */
  readonly filterText: string;
  /** Page limit of the document (`PDF_MAX_PAGES`). */
  readonly maxPages: number;
  /** The records the export's filter selects, in the export's ordering (or the report's default one). */
  records(): AsyncIterable<StoredRecord>;
  /** Loads records of any model by id, one batch per call. */
  getByIds(model: ModelDefinition, ids: readonly string[]): Promise<Map<string, StoredRecord>>;
  /** Every record of `model` the store filter selects, page by page (all segments). */
  scan(model: ModelDefinition, filter?: StoreFilter): AsyncIterable<StoredRecord[]>;
  /** Renders records as the model's resource exports them (natural keys, computed columns). */
  exportRows(records: readonly StoredRecord[], columns: readonly string[]): Promise<{ columns: ExportColumn[]; rows: Cell[][] }>;
  /**
   * Starts the report's document (once): A4, the embedded fonts, the page limit, and the
   * "Page N of M" footers drawn when the report returns.
   */
  startDocument(options?: Pick<PdfLayoutOptions, 'landscape'> & { title?: string }): Promise<PdfLayout>;
}

/** A PDF report of one model, chosen with `{"format":"pdf","report":"<name>"}`. */
export interface ReportDefinition {
  /** Identifier in requests: lower-case letters, digits and dashes. */
  readonly name: string;
  /** Human title, shown in the list of reports and on the document. */
  readonly title: string;
  readonly description: string;
  readonly model: ModelDefinition;
  /** Ordering applied when the request has none, e.g. `['name']`. @default storage order */
  readonly defaultOrdering?: readonly string[];
  /** Draws the document; call `ctx.startDocument()` first. */
  render(ctx: ReportContext): Promise<void>;
}

const NAME = /^[a-z][a-z0-9-]{0,62}$/;

/**
 * Checks a report definition and returns it.
 * @throws Error when the name is not a lower-case identifier
 */
export function defineReport(definition: ReportDefinition): ReportDefinition {
  if (!NAME.test(definition.name)) throw new Error(`report name '${definition.name}' must be lower-case letters, digits and dashes`);
  return Object.freeze({ ...definition });
}
