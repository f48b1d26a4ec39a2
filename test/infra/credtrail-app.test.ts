import { App, Stack } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import {
  buildCredtrailApp,
  CENTRAL_STACK_NAME,
  MEMBER_FORWARDER_STACK_NAME,
  MEMBER_STACK_NAME,
} from '../../lib/infra/credtrail-app';
import { CentralStack, DEFAULT_HANDLERS } from '../../lib/infra/central-stack';
import { CentralConfigSchema, CredtrailConfigError, readConfig } from '../../lib/infra/credtrail-config';
import { MissingHandlerError } from '../../lib/infra/credtrail-function';
import { addNagGate, nagFindings } from '../../lib/infra/nag-gate';
import { REQUIRED_CONTEXT } from './stack-fixtures';

const context = {
  ...REQUIRED_CONTEXT,
  'credtrail:centralAccountId': '111111111111',
  'credtrail:lambdaCode': 'placeholder',
};

describe('the CDK app (bin/app.ts)', () => {
  it('synthesises the central and member stacks through the nag gate', () => {
    const { app } = buildCredtrailApp({ context });

    const assembly = app.synth();

    expect(assembly.stacks.map((s) => s.stackName).sort()).toEqual([CENTRAL_STACK_NAME, MEMBER_STACK_NAME]);
  });

  it('adds the per-region real-time forwarder stack once the central region is known', () => {
    const { app } = buildCredtrailApp({ context: { ...context, 'credtrail:centralRegion': 'eu-west-1' } });

    const assembly = app.synth();

    expect(assembly.stacks.map((s) => s.stackName).sort()).toEqual([
      CENTRAL_STACK_NAME,
      MEMBER_STACK_NAME,
      MEMBER_FORWARDER_STACK_NAME,
    ]);
  });

  it('fails with the name of a bad setting', () => {
    expect(() => buildCredtrailApp({ context: { ...context, 'credtrail:mode': 'yolo' } })).toThrow(
      expect.objectContaining({
        name: 'CredtrailConfigError',
        message: expect.stringContaining('credtrail:mode') as string,
      }) as Error,
    );
    expect(() =>
      buildCredtrailApp({ context: { ...context, 'credtrail:centralAccountId': undefined } }),
    ).toThrow(/credtrail:centralAccountId: is required/);
    expect(() => buildCredtrailApp({ context: { ...context, 'credtrail:lambdaCode': 'docker' } })).toThrow(
      CredtrailConfigError,
    );
  });

  it('names a handler file that does not exist when bundling, before esbuild runs', () => {
    const config = readConfig(CentralConfigSchema, REQUIRED_CONTEXT);

    expect(
      () =>
        new CentralStack(new App(), 'Central', {
          config,
          lambdaCode: 'bundle',
          handlers: { ...DEFAULT_HANDLERS, detector: 'handlers/no-such-handler.ts' },
        }),
    ).toThrow(new MissingHandlerError('handlers/no-such-handler.ts'));
  });
});

describe('nag gate canary', () => {
  // A queue without encryption, TLS enforcement or a DLQ: AwsSolutions-SQS2/SQS3/SQS4, Serverless-SQSRedrivePolicy.
  function nonCompliantApp(): { app: App; stack: Stack } {
    const app = new App();
    const stack = new Stack(app, 'Canary');
    new sqs.Queue(stack, 'PlainQueue', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    return { app, stack };
  }

  it('reports the deliberately non-compliant resource', () => {
    const { stack } = nonCompliantApp();

    const rules = nagFindings(stack).map((f) => f.rule);

    expect(rules).toEqual(
      expect.arrayContaining([
        'AwsSolutions-SQS2',
        'AwsSolutions-SQS3',
        'AwsSolutions-SQS4',
        'Serverless-SQSRedrivePolicy',
      ]),
    );
  });

  it('makes synth fail, the same way bin/app.ts runs it', () => {
    const { app } = nonCompliantApp();
    addNagGate(app);

    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
  });
});
