import type { DataioClient } from '../api-client';
import type { CliIo } from '../io';
import type { Target } from '../target';

/** What an API command runs with: the process boundary, and a client for the resolved target. */
export interface CommandContext {
  readonly io: CliIo;
  readonly client: DataioClient;
  readonly target: Target;
}

/** Writes lines to an output. */
export function writeLines(out: { write(text: string): unknown }, lines: string[]): void {
  if (lines.length > 0) out.write(`${lines.join('\n')}\n`);
}
