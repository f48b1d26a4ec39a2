#!/usr/bin/env node
import { buildCredtrailApp } from '../lib/infra/credtrail-app';
import { CredtrailConfigError } from '../lib/infra/credtrail-config';

// `npx cdk synth` entry point (cdk.json "app"). A bad setting prints its name and exits non-zero
// without a stack trace: it is the operator's input, not a bug.
try {
  buildCredtrailApp().app.synth();
} catch (error) {
  if (!(error instanceof CredtrailConfigError)) throw error;
  console.error(error.message);
  process.exitCode = 1;
}
