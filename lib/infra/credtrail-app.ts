import { App, type AppProps } from 'aws-cdk-lib';
import { CentralStack } from './central-stack';
import {
  CONTEXT_PREFIX,
  CentralConfigSchema,
  CredtrailConfigError,
  MemberConfigSchema,
  readConfig,
} from './credtrail-config';
import type { LambdaCode } from './credtrail-function';
import { MemberForwarderStack } from './member-forwarder-stack';
import { MemberStack } from './member-stack';
import { addNagGate } from './nag-gate';

export const CENTRAL_STACK_NAME = 'CredtrailCentral';
export const MEMBER_STACK_NAME = 'CredtrailMember';
export const MEMBER_FORWARDER_STACK_NAME = 'CredtrailMemberForwarder';
/** App-level keys that are not settings of either stack. */
export const LAMBDA_CODE_KEY = `${CONTEXT_PREFIX}lambdaCode`;

/**
 * Builds the whole app from context: both stacks, each validating its own settings, and the nag gate.
 * Used by bin/app.ts and by the tests, so the tests exercise what `cdk synth` runs.
 */
export function buildCredtrailApp(props: AppProps = {}): {
  app: App;
  central: CentralStack;
  member: MemberStack;
  /** Synthesized when `centralRegion` is set: the real-time path's per-region member half. */
  memberForwarder?: MemberForwarderStack;
} {
  const app = new App(props);
  const context = app.node.getAllContext() as Record<string, unknown>;
  const { [LAMBDA_CODE_KEY]: rawCode, ...settings } = context;
  if (rawCode !== undefined && rawCode !== 'bundle' && rawCode !== 'placeholder') {
    throw new CredtrailConfigError(
      `Invalid credtrail settings:\n  ${LAMBDA_CODE_KEY}: must be "bundle" or "placeholder"`,
    );
  }
  const lambdaCode: LambdaCode = rawCode ?? 'bundle';
  const env = { account: process.env['CDK_DEFAULT_ACCOUNT'], region: process.env['CDK_DEFAULT_REGION'] };

  const central = new CentralStack(app, CENTRAL_STACK_NAME, {
    config: readConfig(CentralConfigSchema, settings),
    lambdaCode,
    env,
    description: 'credtrail central: detects stolen EC2 instance credentials, alerts and responds',
  });
  const memberConfig = readConfig(MemberConfigSchema, settings);
  const member = new MemberStack(app, MEMBER_STACK_NAME, {
    config: memberConfig,
    description:
      'credtrail member: roles the central credtrail detector and responder assume in this account',
  });
  const { centralRegion } = memberConfig;
  const memberForwarder =
    centralRegion === undefined
      ? undefined
      : new MemberForwarderStack(app, MEMBER_FORWARDER_STACK_NAME, {
          config: { ...memberConfig, centralRegion },
          description:
            'credtrail member, every region: forwards instance-credential calls to the central bus within seconds',
        });
  addNagGate(app);
  return { app, central, member, ...(memberForwarder === undefined ? {} : { memberForwarder }) };
}
