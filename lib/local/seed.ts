import { generateDemoData } from '../../layers/erp';
import { createDeps } from '../../lambdas/shared/composition';

/** The organizations the local stack starts with. */
export const DEMO_ORGS = ['acme', 'globex'] as const;

/**
 * Writes the demo data of every demo organization through the same record store the handlers
 * use (so unique-value entries and shards are exactly what an import would write).
 */
export async function seedDemoData(log: (message: string) => void = () => undefined): Promise<void> {
  const { records } = createDeps();
  for (const org of DEMO_ORGS) {
    for (const { model, records: items } of generateDemoData(org)) {
      for (let i = 0; i < items.length; i += 500) {
        await records.write(org, model, items.slice(i, i + 500).map((record) => ({ record })));
      }
      log(`seeded ${items.length} ${model.plural} for ${org}`);
    }
  }
}
