// The central Lambdas (detector, responder, notifier), their environments and the response
// configuration they share, and the operators' undo policy on the responder.
import { CfnOutput, Duration, type Stack } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { DetectorEnvironmentSchema } from '../detector/detector-environment';
import { NotifierEnvironmentSchema } from '../notifier/notifier-environment';
import { ResponderEnvironmentSchema } from '../responder/responder-environment';
import { ResponseConfigSchema } from '../responder/response-config-schema';
import type { AlertTopic } from './central-alerts';
import type { CentralQueues } from './central-queues';
import type { CentralRoles } from './central-roles';
import type { StateStores } from './central-state';
import type { CentralConfig } from './credtrail-config';
import { CredtrailFunction, type LambdaCode } from './credtrail-function';

export const DETECTOR_TIMEOUT = Duration.minutes(5);

export interface CentralFunctionsProps {
  readonly config: CentralConfig;
  /** Handler files, relative to the project root. */
  readonly handlers: { readonly detector: string; readonly responder: string; readonly notifier: string };
  readonly code: LambdaCode;
  readonly bus: events.EventBus;
  readonly alerts: AlertTopic;
  readonly stores: StateStores;
  readonly queues: CentralQueues;
  readonly roles: CentralRoles;
}

export interface CentralFunctions {
  readonly detector: CredtrailFunction<typeof DetectorEnvironmentSchema>;
  readonly responder: CredtrailFunction<typeof ResponderEnvironmentSchema>;
  readonly notifier: CredtrailFunction<typeof NotifierEnvironmentSchema>;
  readonly operatorUndoPolicy: iam.ManagedPolicy;
}

export function addFunctions(stack: Stack, props: CentralFunctionsProps): CentralFunctions {
  const { config, handlers, code, bus, alerts, stores, queues, roles } = props;
  const responseConfigJson = responseConfigText(stack, config);

  const detector = new CredtrailFunction<typeof DetectorEnvironmentSchema>(stack, 'Detector', {
    entry: handlers.detector,
    description:
      'credtrail detector: finds instance credentials used away from their instance in CloudTrail files',
    role: roles.detectorRole,
    environmentSchema: DetectorEnvironmentSchema,
    environment: {
      STATE_TABLE_NAME: stores.stateTable.tableName,
      EXCEPTIONS_TABLE_NAME: stores.exceptionsTable.tableName,
      EVENT_BUS_NAME: bus.eventBusName,
      FINDINGS_LOG_GROUP_NAME: stores.findingsLogGroup.logGroupName,
      MEMBER_READ_ROLE_NAME: config.memberReadRoleName,
      TRUSTED_ACCOUNTS: config.trustedAccounts.join(','),
    },
    timeout: DETECTOR_TIMEOUT,
    memorySize: 1024,
    code,
  });
  detector.function.addEventSource(
    new SqsEventSource(queues.ingestQueue, {
      batchSize: 10,
      reportBatchItemFailures: true,
      maxConcurrency: 5,
    }),
  );

  const responder = new CredtrailFunction<typeof ResponderEnvironmentSchema>(stack, 'Responder', {
    entry: handlers.responder,
    description: 'credtrail responder: plans revoke/pin/quarantine for a finding; applies it in enforce mode',
    role: roles.responderRole,
    environmentSchema: ResponderEnvironmentSchema,
    environment: {
      EVENT_BUS_NAME: bus.eventBusName,
      AUDIT_TABLE_NAME: stores.auditTable.tableName,
      IDEMPOTENCY_TABLE_NAME: stores.idempotencyTable.tableName,
      MEMBER_RESPONSE_ROLE_NAME: config.memberResponseRoleName,
      RESPONSE_CONFIG: responseConfigJson,
    },
    timeout: Duration.minutes(2),
    memorySize: 512,
    onFailureQueue: queues.responderFailureQueue,
    code,
  });

  const operatorUndoPolicy = addOperatorUndo(stack, responder.function);

  const notifier = new CredtrailFunction<typeof NotifierEnvironmentSchema>(stack, 'Notifier', {
    entry: handlers.notifier,
    description: 'credtrail notifier: emails on-call once per finding, plan and failed step',
    role: roles.notifierRole,
    environmentSchema: NotifierEnvironmentSchema,
    environment: {
      ALERT_TOPIC_ARN: alerts.topic.topicArn,
      ALERT_LEDGER_TABLE_NAME: stores.idempotencyTable.tableName,
      RESPONSE_CONFIG: responseConfigJson,
      RESPONDER_SEVERITY_THRESHOLD: String(config.responderSeverityThreshold),
    },
    timeout: Duration.seconds(30),
    memorySize: 256,
    onFailureQueue: queues.asyncFailureQueue,
    code,
  });
  return { detector, responder, notifier, operatorUndoPolicy };
}

/** The responder's configuration document (RESPONSE_CONFIG), which the notifier reads too. */
function responseConfigText(stack: Stack, config: CentralConfig): string {
  const responseConfig = {
    mode: config.mode,
    ...(config.actionsBySeverity === undefined ? {} : { actions: config.actionsBySeverity }),
    ...(config.responseRoles === undefined ? {} : { roles: config.responseRoles }),
    protected: { roleNamePatterns: config.protectedRoles, instancePatterns: config.protectedInstances },
    ...(config.maxIncidentsPerHour === undefined
      ? {}
      : { rateLimit: { maxIncidentsPerHour: config.maxIncidentsPerHour } }),
    responderRolePatterns: [
      'credtrail-*',
      'Credtrail*',
      config.detectorRoleName,
      config.responderRoleName,
      config.memberReadRoleName,
      config.memberResponseRoleName,
    ],
    trustedPublisherAccounts: [stack.account, ...config.trustedPublisherAccounts],
  };
  // Fail the synth, not the responder's cold start, if the document does not parse.
  ResponseConfigSchema.parse({
    ...responseConfig,
    trustedPublisherAccounts: ['000000000000', ...config.trustedPublisherAccounts],
  });
  return stack.toJsonString(responseConfig);
}

/**
 * How an operator runs `credtrail undo` from a workstation: the member roles trust only the responder,
 * so undo goes through the responder Lambda (a direct invocation with an undo request), which re-runs
 * its checks. Attach this policy to the operators' role or permission set; it grants nothing else.
 */
function addOperatorUndo(stack: Stack, responder: lambda.IFunction): iam.ManagedPolicy {
  const policy = new iam.ManagedPolicy(stack, 'OperatorUndoPolicy', {
    description:
      'credtrail: lets an operator run `credtrail undo` by invoking the responder Lambda, and nothing else',
    statements: [
      new iam.PolicyStatement({
        sid: 'InvokeResponderForUndo',
        actions: ['lambda:InvokeFunction'],
        resources: [responder.functionArn],
      }),
    ],
  });
  new CfnOutput(stack, 'OperatorUndoPolicyArn', {
    description:
      'Attach to operators who may run `credtrail undo` (lambda:InvokeFunction on the responder only)',
    value: policy.managedPolicyArn,
  });
  new CfnOutput(stack, 'ResponderFunctionName', {
    description: 'The responder Lambda that `credtrail undo` invokes',
    value: responder.functionName,
  });
  return policy;
}
