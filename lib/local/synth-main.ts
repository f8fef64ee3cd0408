/**
 * Synthesizes the CDK app (bundling skipped) into the folder given as the first argument. Run as
 * a child process by `synthStackTemplates`, so aws-cdk-lib never loads into the local stack's
 * own long-lived process.
 */
import { createApp } from '../app';

const outdir = process.argv[2];
if (!outdir) throw new Error('usage: synth-main <outdir>');
createApp({ context: { 'aws:cdk:bundling-stacks': [] }, outdir }).app.synth();
