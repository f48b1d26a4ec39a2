import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks, type NagPack } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/**
 * The cdk-nag gate (v3: packs are CDK validation plugins). A pack's report fails on any unacknowledged
 * finding, warnings included, so `cdk synth` fails on every one of them; tests run the same packs.
 */
export function nagPacks(): NagPack[] {
  return [new AwsSolutionsChecks(), new ServerlessChecks()];
}

export function addNagGate(app: App): void {
  Validations.of(app).addPlugins(...nagPacks());
}

export interface NagFinding {
  readonly rule: string;
  readonly severity: string;
  readonly paths: readonly string[];
  readonly description: string;
}

/** Unacknowledged findings under `scope` (errors and warnings: either fails the synth). */
export function nagFindings(scope: IConstruct): NagFinding[] {
  return nagPacks().flatMap((pack) =>
    pack.validateScope(scope).violations.map((v) => ({
      severity: v.severity ?? 'error',
      rule: v.ruleName,
      paths: v.violatingResources.map((r) => r.constructPath ?? '?'),
      description: v.description,
    })),
  );
}

/**
 * Acknowledges one finding on one construct, with the reason an auditor reads. cdk-nag v3 matches each
 * finding id exactly (e.g. `AwsSolutions-IAM5[Resource::arn:...]`), so a new wildcard is a new failure.
 */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}
