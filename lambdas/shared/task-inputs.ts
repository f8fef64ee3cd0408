import { z } from 'zod';

/** Every task starts from the job's organization and id. */
export const jobInput = z.object({ org: z.string().min(1), job_id: z.string().min(1) });

/** A chunk task of the import machine's Map. */
export const chunkInput = jobInput.extend({ chunk: z.number().int().min(0) });

/** A segment task of the export machine's Map. */
export const segmentInput = jobInput.extend({ segment: z.number().int().min(0) });

/** Tasks after the chunk Map carry the chunk list along. */
export const chunkListInput = jobInput.extend({ chunks: z.array(z.number().int().min(0)) });

/** The export's assemble task carries the segment list. */
export const segmentListInput = jobInput.extend({ segments: z.array(z.number().int().min(0)) });

/** The Catch handler receives the caught error. */
export const failInput = jobInput.extend({ error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).optional() });
