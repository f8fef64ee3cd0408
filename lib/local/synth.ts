/**
 * Synthesizes the CDK app with bundling skipped and returns its stack templates: the local stack
 * runs exactly what `cdk deploy` would deploy.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CfnTemplate, StackTemplate } from './template-resolver';

export const STACK_NAMES = ['DataioStorage', 'DataioService'] as const;

/** The repository root (handler paths in the templates are relative to it). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/**
 * Synthesizes in a child process and reads the templates it wrote: aws-cdk-lib costs the local
 * stack's process a few hundred MB it would otherwise keep for its whole life.
 */
export function synthStackTemplates(): StackTemplate[] {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'dataio-synth-'));
  try {
    const tsx = path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
    const result = spawnSync(process.execPath, [tsx, path.join(__dirname, 'synth-main.ts'), outdir], { cwd: REPO_ROOT, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`synthesizing the CDK app failed (exit ${result.status}):\n${result.stderr}`);
    return STACK_NAMES.map((stackName) => ({
      stackName,
      template: JSON.parse(fs.readFileSync(path.join(outdir, `${stackName}.template.json`), 'utf8')) as CfnTemplate,
    }));
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}
