/**
 * Synthesizes the CDK app with bundling skipped and returns its stack templates: the local stack
 * runs exactly what `cdk deploy` would deploy.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../app';
import type { CfnTemplate, StackTemplate } from './template-resolver';

export const STACK_NAMES = ['DataioStorage', 'DataioService'] as const;

/** The repository root (handler paths in the templates are relative to it). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

export function synthStackTemplates(): StackTemplate[] {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'dataio-synth-'));
  try {
    const { app } = createApp({ context: { 'aws:cdk:bundling-stacks': [] }, outdir });
    const assembly = app.synth();
    return STACK_NAMES.map((stackName) => ({
      stackName,
      template: assembly.getStackByName(stackName).template as CfnTemplate,
    }));
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}
