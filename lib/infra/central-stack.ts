import { Stack, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { addAlertTopic, type AlertTopic } from './central-alerts';
import { addBusRoutes, type BusRoutes } from './central-bus-routes';
import { addFunctions, DETECTOR_TIMEOUT, type CentralFunctions } from './central-functions';
import { addQueues, connectTrail, type CentralQueues } from './central-queues';
import { addRoles, type CentralRoles } from './central-roles';
import { addStateStores } from './central-state';
import type { CentralConfig } from './credtrail-config';
import { CredtrailAlarms } from './credtrail-alarms';
import type { LambdaCode } from './credtrail-function';
import { CREDTRAIL_BUS_NAME } from './event-patterns';
import { acknowledge } from './nag-gate';

export const EVENT_BUS_NAME = CREDTRAIL_BUS_NAME;

export interface CentralStackProps extends StackProps {
  readonly config: CentralConfig;
  /** Handler files, relative to the project root. */
  readonly handlers?: { readonly detector: string; readonly responder: string; readonly notifier: string };
  readonly lambdaCode?: LambdaCode;
}

export const DEFAULT_HANDLERS = {
  detector: 'handlers/detector-handler.ts',
  responder: 'handlers/responder-handler.ts',
  notifier: 'handlers/notifier-handler.ts',
} as const;

/** Everything the alarms and the cdk-nag acknowledgements point at. */
interface CentralParts {
  readonly alerts: AlertTopic;
  readonly queues: CentralQueues;
  readonly roles: CentralRoles;
  readonly functions: CentralFunctions;
  readonly routes: BusRoutes;
}

/**
 * The central account: ingest (S3/SNS → SQS → detector), the credtrail bus and its rules, the
 * responder and notifier, state tables, the on-call topic and alarms. Each part is built by its own
 * module, in this order (construct ids and creation order are what the template is made of).
 */
export class CentralStack extends Stack {
  readonly bus: events.EventBus;
  readonly alertTopic: sns.Topic;
  readonly operatorUndoPolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: CentralStackProps) {
    super(scope, id, props);
    const { config } = props;
    const handlers = props.handlers ?? DEFAULT_HANDLERS;
    const code = props.lambdaCode ?? 'bundle';

    const alerts = addAlertTopic(this, config.alertEmails);
    this.alertTopic = alerts.topic;
    const stores = addStateStores(this);
    const queues = addQueues(this, DETECTOR_TIMEOUT);
    connectTrail(this, config, queues.ingestQueue, queues.ingestDlq);
    this.bus = new events.EventBus(this, 'Bus', {
      eventBusName: EVENT_BUS_NAME,
      description: 'credtrail findings and responder results',
    });
    const roles = addRoles(this, { config, bus: this.bus, stores, alerts });
    const functions = addFunctions(this, {
      config,
      handlers,
      code,
      bus: this.bus,
      alerts,
      stores,
      queues,
      roles,
    });
    this.operatorUndoPolicy = functions.operatorUndoPolicy;
    const routes = addBusRoutes(this, {
      config,
      bus: this.bus,
      queues,
      roles,
      functions,
      detectorTimeout: DETECTOR_TIMEOUT,
    });
    const parts = { alerts, queues, roles, functions, routes };
    this.alarmEveryFailurePath(parts);
    this.acknowledgeNagFindings(config, parts);
  }

  /** One alarm per place a failure can wait unseen: dead-letter queues, Lambda errors, counted rules. */
  private alarmEveryFailurePath({ alerts, queues, functions, routes }: CentralParts): void {
    const { ingestDlq, eventDeliveryDlq, asyncFailureQueue, responderFailureQueue } = queues;
    const { subscriptionDlq } = alerts;
    const { detector, responder, notifier } = functions;
    const { realtime, failedSteps, finalFailures } = routes;
    const alarms = new CredtrailAlarms(this, 'Alarms', alerts.topic);
    alarms.deadLetters('IngestDlqNotEmpty', ingestDlq, 'the ingest dead-letter queue');
    alarms.deadLetters(
      'EventDeliveryDlqNotEmpty',
      eventDeliveryDlq,
      'the EventBridge delivery dead-letter queue',
    );
    alarms.deadLetters('AsyncFailuresNotEmpty', asyncFailureQueue, 'the notifier failure queue');
    alarms.deadLetters(
      'ResponderFailuresNotEmpty',
      responderFailureQueue,
      'the responder failure queue (responses that failed after every retry)',
    );
    alarms.deadLetters('EmailDlqNotEmpty', subscriptionDlq, 'the email delivery dead-letter queue');
    alarms.deadLetters(
      'RealtimeDlqNotEmpty',
      realtime.deadLetterQueue,
      'the real-time path dead-letter queue',
    );
    alarms.functionErrors('DetectorErrors', detector.function, 'detector');
    // Partial-batch failures never show in Lambda's Errors metric; unannounced findings come from the sweep.
    alarms.detectorMetric(
      'DetectorFailedMessages',
      'FailedMessages',
      'detector messages failed and went back to the ingest queue (retried, then the DLQ). Check its log group.',
    );
    alarms.detectorMetric(
      'FindingsUnannounced',
      'UnannouncedFindings',
      'findings stored for over 5 minutes without reaching the bus (PutEvents failing?). Check the detector log group.',
    );
    alarms.functionErrors('ResponderErrors', responder.function, 'responder');
    alarms.functionErrors('NotifierErrors', notifier.function, 'notifier');
    alarms.ruleMatches(
      'ResponderStepFailed',
      failedSteps,
      'a responder step failed: read its email and finish by hand',
    );
    alarms.ruleMatches(
      'ResponseFinalFailed',
      finalFailures,
      'a response failed for good (retries exhausted): read its email, fix the cause, respond by hand',
    );
  }

  /** Every cdk-nag finding the design accepts, each with the reason an auditor reads. */
  private acknowledgeNagFindings(
    config: CentralConfig,
    { alerts, queues, roles, functions, routes }: CentralParts,
  ): void {
    const { ingestDlq, eventDeliveryDlq, asyncFailureQueue, responderFailureQueue } = queues;
    const { subscriptionDlq } = alerts;
    const { detectorRole, responderRole, trailObjects } = roles;
    const { detector } = functions;
    const { realtime, failedSteps, finalFailures } = routes;
    for (const [queue, owner] of [
      [subscriptionDlq, 'the SNS email subscriptions'],
      [eventDeliveryDlq, 'the EventBridge rule targets'],
      [asyncFailureQueue, 'the notifier (on-failure destination)'],
      [responderFailureQueue, 'the responder (on-failure destination)'],
    ] as const) {
      acknowledge(
        queue,
        'AwsSolutions-SQS3',
        `This queue is itself the dead-letter queue of ${owner}; cdk-nag only recognises SQS-to-SQS redrive.`,
      );
    }
    for (const queue of [
      subscriptionDlq,
      ingestDlq,
      eventDeliveryDlq,
      asyncFailureQueue,
      responderFailureQueue,
      realtime.deadLetterQueue,
    ]) {
      acknowledge(
        queue,
        'Serverless-SQSRedrivePolicy',
        'A dead-letter queue: a queue behind it would only move the problem. It is alarmed and kept 14 days for redrive.',
      );
    }
    acknowledge(
      detector.function,
      'Serverless-LambdaDLQ',
      "Invoked synchronously by SQS polling, where Lambda's DLQ never applies: failed messages go to IngestDlq via the queue's redrive policy.",
    );
    acknowledge(
      detector.function,
      'Serverless-LambdaEventSourceMappingDestination',
      'SQS event source mappings take no on-failure destination; the ingest queue redrives to IngestDlq after 5 receives.',
    );
    acknowledge(
      detectorRole,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${trailObjects.split(':::')[1] ?? ''}]`,
      "Read-only, one bucket, the trail's prefix: CloudTrail writes one object per file under AWSLogs/<account>/CloudTrail/<region>/<date>/, names not known in advance.",
    );
    acknowledge(
      detectorRole,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::*:role/${config.memberReadRoleName}]`,
      'The same-named read role exists in every member account (StackSets), whose ids are not known at synth; each trusts only this role.',
    );
    acknowledge(
      responderRole,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::*:role/${config.memberResponseRoleName}]`,
      'The same-named response role exists in every member account (StackSets), whose ids are not known at synth; each trusts only this role.',
    );
    acknowledge(
      failedSteps,
      'Serverless-EventBusDLQ',
      'This rule has no target by design: it only counts failed responder steps (MatchedEvents) for an alarm.',
    );
    acknowledge(
      finalFailures,
      'Serverless-EventBusDLQ',
      'This rule has no target by design: it only counts final response failures (MatchedEvents) for an alarm.',
    );
  }
}
