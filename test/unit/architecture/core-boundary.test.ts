import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');

/** Lints a snippet as if it were a file at `filePath`, returning the rule ids reported. */
function lintAs(filePath: string, code: string): string[] {
  const result = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js'), '--format', 'json', '--stdin', '--stdin-filename', filePath], {
    cwd: ROOT,
    input: code,
    encoding: 'utf8',
  });
  const [report] = JSON.parse(result.stdout) as Array<{ messages: Array<{ ruleId: string | null }> }>;
  return report!.messages.map((m) => m.ruleId ?? 'parse-error');
}

describe('layers/core boundary (lint rule)', () => {
  it.each([
    ["import { S3Client } from '@aws-sdk/client-s3';\nexport const c = S3Client;", 'no-restricted-imports'],
    ["import middy from '@middy/core';\nexport const m = middy;", 'no-restricted-imports'],
    ["import { Logger } from '@aws-lambda-powertools/logger';\nexport const l = Logger;", 'no-restricted-imports'],
    ["import type { Context } from 'aws-lambda';\nexport type C = Context;", 'no-restricted-imports'],
    ["import { getDeps } from '../../lambdas/shared/composition';\nexport const d = getDeps;", 'no-restricted-imports'],
    ['export const table = process.env.TABLE;', 'no-restricted-properties'],
  ])('rejects %s in layers/core', (code, rule) => {
    expect(lintAs('layers/core/probe.ts', code)).toContain(rule);
  });

  it('allows the same code outside the core', () => {
    expect(lintAs('layers/aws/probe.ts', "import { S3Client } from '@aws-sdk/client-s3';\nexport const c = S3Client;")).toEqual([]);
    expect(lintAs('lambdas/shared/probe.ts', 'export const table = process.env.TABLE;')).toEqual([]);
  });
});
