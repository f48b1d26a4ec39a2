// What arrives on the credtrail bus and where it goes: the GuardDuty forwarder, the real-time path,
// one rule per route (credtrailBusRoutes), and the bus policy that keeps every publisher to its source.
import { Duration, type Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { FINDING_SOURCE } from '../contracts/finding-event';
import { RESPONSE_SOURCE } from '../contracts/response-event';
import type { CentralFunctions } from './central-functions';
import type { CentralQueues } from './central-queues';
import { putEventsFrom, type CentralRoles } from './central-roles';
import type { CentralConfig } from './credtrail-config';
import {
  GUARDDUTY_EXFILTRATION_PATTERN,
  GUARDDUTY_SOURCE,
  credtrailBusRoutes,
  type EventPattern,
} from './event-patterns';
import { RealtimeIngest } from './realtime-path';

/** Fixed, so the forwarder role can trust this rule's ARN without depending on the rule. */
export const FORWARD_GUARDDUTY_RULE_NAME = 'credtrail-forward-guardduty-findings';

/** CDK's camelCase pattern from EventBridge's wire format (only `detail-type` differs for us). */
export function toCdkPattern(pattern: EventPattern): events.EventPattern {
  const { 'detail-type': detailType, ...rest } = pattern as Record<string, unknown>;
  return { ...rest, ...(detailType === undefined ? {} : { detailType: detailType as string[] }) };
}

export interface BusRoutesProps {
  readonly config: CentralConfig;
  readonly bus: events.EventBus;
  readonly queues: CentralQueues;
  readonly roles: CentralRoles;
  readonly functions: CentralFunctions;
  readonly detectorTimeout: Duration;
}

export interface BusRoutes {
  readonly realtime: RealtimeIngest;
  /** Target-less rules that only count, for the alarms. */
  readonly failedSteps: events.Rule;
  readonly finalFailures: events.Rule;
}

export function addBusRoutes(stack: Stack, props: BusRoutesProps): BusRoutes {
  const { config, bus, queues, functions } = props;
  const { eventDeliveryDlq } = queues;
  const deliveryOptions = {
    deadLetterQueue: eventDeliveryDlq,
    retryAttempts: 185, // EventBridge's documented maximum: keep trying for the whole day
    maxEventAge: Duration.hours(24),
  };
  const forwarderRole = addGuardDutyForwarder(stack, bus, queues);

  const realtime = new RealtimeIngest(stack, 'RealtimeIngest', {
    bus,
    detector: functions.detector.function,
    detectorTimeout: props.detectorTimeout,
    memberForwarderRoleName: config.memberForwarderRoleName,
    ...(config.organizationId === undefined ? {} : { organizationId: config.organizationId }),
  });
  const toNotifier = new targets.LambdaFunction(functions.notifier.function, deliveryOptions);
  const toResponder = new targets.LambdaFunction(functions.responder.function, deliveryOptions);
  const ruleTargets = {
    notifier: toNotifier,
    responder: toResponder,
    detector: realtime.target(eventDeliveryDlq),
    none: undefined,
  };
  const rules = new Map<string, events.Rule>();
  for (const route of credtrailBusRoutes(config.responderSeverityThreshold)) {
    const target = ruleTargets[route.target];
    rules.set(
      route.ruleId,
      new events.Rule(stack, route.ruleId, {
        eventBus: bus,
        description: route.description,
        eventPattern: toCdkPattern(route.pattern),
        ...(target === undefined ? {} : { targets: [target] }),
      }),
    );
  }

  restrictPublishers(bus, realtime, [
    { role: props.roles.detectorRole, source: FINDING_SOURCE, sid: 'Detector' },
    { role: props.roles.responderRole, source: RESPONSE_SOURCE, sid: 'Responder' },
    { role: forwarderRole, source: GUARDDUTY_SOURCE, sid: 'GuardDutyForwarder' },
  ]);
  return {
    realtime,
    failedSteps: rules.get('CountResponderFailures') as events.Rule,
    finalFailures: rules.get('CountFinalResponseFailures') as events.Rule,
  };
}

/** The default-bus rule that puts GuardDuty's credential findings on the credtrail bus, and its role. */
function addGuardDutyForwarder(stack: Stack, bus: events.EventBus, queues: CentralQueues): iam.Role {
  // The rule's ARN is built from its fixed name: taking it from the rule would make the role and the
  // rule depend on each other. Only this rule, in this account, may assume the role.
  const forwardRuleArn = `arn:${stack.partition}:events:${stack.region}:${stack.account}:rule/${FORWARD_GUARDDUTY_RULE_NAME}`;
  const forwarderRole = new iam.Role(stack, 'GuardDutyForwarderRole', {
    assumedBy: new iam.ServicePrincipal('events.amazonaws.com').withConditions({
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnEquals: { 'aws:SourceArn': forwardRuleArn },
    }),
    description:
      'credtrail: lets the default-bus rule put GuardDuty credential findings on the credtrail bus',
  });
  forwarderRole.addToPolicy(putEventsFrom(bus, GUARDDUTY_SOURCE));
  new events.Rule(stack, 'ForwardGuardDutyFindings', {
    ruleName: FORWARD_GUARDDUTY_RULE_NAME,
    description:
      'credtrail: forwards GuardDuty InstanceCredentialExfiltration findings (Outside/InsideAWS) to the credtrail bus',
    eventPattern: toCdkPattern(GUARDDUTY_EXFILTRATION_PATTERN),
    targets: [new targets.EventBus(bus, { role: forwarderRole, deadLetterQueue: queues.eventDeliveryDlq })],
  });
  return forwarderRole;
}

interface Publisher {
  readonly role: iam.IRole;
  readonly source: string;
  readonly sid: string;
}

/**
 * Same-account principals need no bus policy to publish, so the Denies are what hold: everyone but
 * the three publishers is kept out, and each publisher may put only its own `source`.
 */
function restrictPublishers(
  bus: events.EventBus,
  realtime: RealtimeIngest,
  publishers: readonly Publisher[],
): void {
  for (const { role, source, sid } of publishers) {
    bus.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: `Allow${sid}ItsOwnSource`,
        principals: [new iam.ArnPrincipal(role.roleArn)],
        actions: ['events:PutEvents'],
        resources: [bus.eventBusArn],
        conditions: { 'ForAllValues:StringEquals': { 'events:source': [source] } },
      }),
    );
    bus.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: `Deny${sid}OtherSources`,
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['events:PutEvents'],
        resources: [bus.eventBusArn],
        conditions: {
          ArnEquals: { 'aws:PrincipalArn': role.roleArn },
          'ForAnyValue:StringNotEquals': { 'events:source': [source] },
        },
      }),
    );
  }
  bus.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'DenyEveryoneElse',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['events:PutEvents'],
      resources: [bus.eventBusArn],
      // ArnNotLike, not StringNotEquals: the members' forwarder roles are a pattern (any account).
      conditions: {
        ArnNotLike: {
          'aws:PrincipalArn': [
            ...publishers.map((p) => p.role.roleArn),
            realtime.forwarderPrincipalArnPattern,
          ],
        },
      },
    }),
  );
}
