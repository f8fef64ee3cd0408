import fs from 'node:fs';
import path from 'node:path';
import type { CfnTemplate, StackTemplate } from '../../lib/local/template-resolver';

/** The hand-written templates with the shapes the CDK app synthesizes (handlers under fixtures/handlers). */
export function fixtureStacks(): StackTemplate[] {
  const read = (file: string): CfnTemplate => JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', file), 'utf8')) as CfnTemplate;
  return [
    { stackName: 'DataioStorage', template: read('storage.template.json') },
    { stackName: 'DataioService', template: read('service.template.json') },
  ];
}
