import type { Resource } from '../../layers/core/resources/types';
import type { ImportRow, ValidationContext } from '../../layers/core/resources/validate-rows';
import { erpRegistry } from '../../layers/erp';
import type { InMemoryRecordStore } from './in-memory-record-store';

/** The organization the validation tests work in. */
export const TEST_ORG = 'acme';

/** The fixed "now" of the validation tests. */
export const TEST_NOW = '2024-06-01T12:00:00.000Z';

/** A validation context over the ERP models, with predictable new ids (`new-1`, `new-2`, ...). */
export function validationContext(store: InMemoryRecordStore, resource: Resource, header: readonly string[], options: Partial<ValidationContext> = {}): ValidationContext {
  let next = 0;
  return {
    org: TEST_ORG,
    model: resource.model,
    resource,
    mapping: resource.mapHeader(header),
    store,
    registry: erpRegistry,
    user: 'u-1',
    jobId: 'job-1',
    now: TEST_NOW,
    newId: () => `new-${++next}`,
    skipUnchanged: true,
    sourceFormat: 'csv',
    ...options,
  };
}

/** Data rows numbered like a spreadsheet: the first is row 2. */
export function importRows(...data: string[][]): ImportRow[] {
  return data.map((cells, i) => ({ row: i + 2, cells }));
}
