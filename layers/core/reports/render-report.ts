import type { PdfFontFiles } from '../formats/pdf/fonts';
import { PdfLayout } from '../formats/pdf/pdf-layout';
import type { ModelRegistry } from '../model/define-model';
import type { ModelDefinition, StoredRecord } from '../model/types';
import type { RecordStore } from '../ports/record-store';
import { getResourceForModel } from '../resources/registry';
import type { ReportContext, ReportDefinition } from './define-report';

/** What running a registered report needs. */
export interface RenderReportInput {
  readonly report: ReportDefinition;
  readonly org: string;
  readonly user: string;
  readonly generatedAt: Date;
  readonly filterText: string;
  readonly fonts: PdfFontFiles;
  readonly maxPages: number;
  readonly store: RecordStore;
  readonly registry: ModelRegistry;
  /** Segments `scan` reads in parallel. */
  readonly segments: number;
  readonly records: AsyncIterable<StoredRecord>;
}

/**
 * Runs a report's `render` and returns the finished PDF.
 * @throws Error when the report never started its document
 * @throws ReportTooLargeError past `maxPages`
 */
export async function renderReport(input: RenderReportInput): Promise<Uint8Array> {
  let layout: PdfLayout | undefined;
  const { org, store, registry } = input;
  const ctx: ReportContext = {
    org,
    user: input.user,
    model: input.report.model,
    generatedAt: input.generatedAt,
    filterText: input.filterText,
    maxPages: input.maxPages,
    records: () => input.records,
    getByIds: (model, ids) => (ids.length === 0 ? Promise.resolve(new Map()) : store.getByIds(org, model, ids)),
    scan: (model, filter) => scanAll(store, org, model, input.segments, filter),
    exportRows: async (records, names) => {
      const resource = getResourceForModel(input.report.model);
      const columns = resource.exportColumns({ fields: names });
      return { columns, rows: await resource.exportRows(records, columns, { org, store, registry }) };
    },
    startDocument: async (options = {}) => {
      if (layout) throw new Error(`report '${input.report.name}' started its document twice`);
      layout = await PdfLayout.create({ fonts: input.fonts, maxPages: input.maxPages, title: options.title ?? input.report.title, landscape: options.landscape, createdAt: input.generatedAt });
      return layout;
    },
  };
  await input.report.render(ctx);
  if (!layout) throw new Error(`report '${input.report.name}' drew nothing: call ctx.startDocument() first`);
  return layout.finish();
}

async function* scanAll(store: RecordStore, org: string, model: ModelDefinition, segments: number, filter: Parameters<ReportContext['scan']>[1]): AsyncGenerator<StoredRecord[]> {
  for (let segment = 0; segment < segments; segment++) {
    yield* store.scan(org, model, { segment, totalSegments: segments, ...(filter ? { filter } : {}) });
  }
}
