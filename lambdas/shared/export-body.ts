import { z } from 'zod';

/**
 * The body of an export request, shared by the export and its preview. Filters and ordering are
 * only shaped here: the use case checks them against the model and names their paths.
 */
export const exportBodySchema = z.object({
  format: z.string().default('csv'),
  filters: z.unknown().optional(),
  ordering: z.unknown().optional(),
  fields: z.array(z.string()).optional(),
  report: z.string().min(1).optional(),
});
