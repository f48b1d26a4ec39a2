import {
  FINDING_DETAIL_TYPE,
  FINDING_SOURCE,
  FINDING_UPDATE_DETAIL_TYPE,
  FindingChange,
  RESPONDABLE_FINDING_TYPES,
} from '../contracts/finding-event';
import { RESPONSE_SOURCE, ResponseDetailType } from '../contracts/response-event';
import {
  GUARDDUTY_DETAIL_TYPE,
  GUARDDUTY_SOURCE,
  GUARDDUTY_TYPE_PREFIX,
} from '../responder/guardduty-finding-schema';

/**
 * Every EventBridge pattern credtrail deploys, in EventBridge's own wire format ("detail-type", not
 * CDK's `detailType`), so the stacks, the pattern tests and a local demo all evaluate the SAME objects.
 * This module imports nothing from aws-cdk-lib: a Lambda or the CLI can import it cheaply.
 */
export type EventPattern = { readonly [key: string]: EventPatternValue };
export type EventPatternValue = EventPattern | readonly EventPatternLeaf[] | readonly EventPattern[];
export type EventPatternLeaf =
  | string
  | number
  | boolean
  | null
  | { readonly prefix: string }
  | { readonly numeric: readonly (string | number)[] }
  | { readonly exists: boolean }
  | { readonly wildcard: string }
  | { readonly 'anything-but': string | number | readonly (string | number)[] };

export { GUARDDUTY_DETAIL_TYPE, GUARDDUTY_SOURCE };
/**
 * GuardDuty split the pre-2022 type `UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration` into
 * `.OutsideAWS` and `.InsideAWS`; a rule matching the old name exactly never fires again
 * (research/remediation.md). The prefix (with its dot, as the responder's parser expects) catches both.
 */
export const GUARDDUTY_EXFILTRATION_TYPE_PREFIX = GUARDDUTY_TYPE_PREFIX;
export const RESPONDER_SOURCE = RESPONSE_SOURCE;

/** Default bus → credtrail bus: GuardDuty's instance-credential findings and nothing else. */
export const GUARDDUTY_EXFILTRATION_PATTERN = {
  source: [GUARDDUTY_SOURCE],
  'detail-type': [GUARDDUTY_DETAIL_TYPE],
  detail: { type: [{ prefix: GUARDDUTY_EXFILTRATION_TYPE_PREFIX }] },
} as const satisfies EventPattern;

/** credtrail bus → notifier: every detector finding. */
export const CREDTRAIL_FINDING_PATTERN = {
  source: [FINDING_SOURCE],
  'detail-type': [FINDING_DETAIL_TYPE],
} as const satisfies EventPattern;

/**
 * credtrail bus → notifier: updates whose chain grew (issue 17: a new derived session or persistent
 * artefact), with the chain's version the notifier keys its email on. Updates where only counts moved
 * (`change: counts`) match nothing: one email per incident and per chain version, not per busy minute.
 */
export const CREDTRAIL_CHAIN_GROWTH_PATTERN = {
  source: [FINDING_SOURCE],
  'detail-type': [FINDING_UPDATE_DETAIL_TYPE],
  detail: { change: [FindingChange.ChainGrowth], chainVersion: [{ exists: true }] },
} as const satisfies EventPattern;

/**
 * credtrail bus → notifier: every forwarded GuardDuty finding. The type filter is repeated on purpose:
 * the bus policy admits the forwarding rule, and a later edit of that rule must not flood on-call.
 */
export const GUARDDUTY_FINDING_PATTERN = GUARDDUTY_EXFILTRATION_PATTERN;

/** credtrail bus → notifier: every responder result (any detail-type the responder chooses). */
export const RESPONDER_RESULT_PATTERN = { source: [RESPONDER_SOURCE] } as const satisfies EventPattern;

/**
 * credtrail bus → responder: detector findings of a type the responder may act on
 * (RESPONDABLE_FINDING_TYPES: a session merely named like an instance is only emailed) whose numeric
 * `severityScore` (8/5/2) is at or above the threshold. Numeric matching, not a list of severity
 * names, so one setting drives both sources.
 */
export function credtrailFindingsAtOrAbove(threshold: number): EventPattern {
  return {
    ...CREDTRAIL_FINDING_PATTERN,
    detail: {
      type: [...RESPONDABLE_FINDING_TYPES],
      severityScore: [{ numeric: ['>=', threshold] }],
    },
  };
}

/**
 * credtrail bus → responder: chain-growth updates under the same type and severity filter as new
 * findings, so the responder re-plans the grown chain (a forged update is refused as a forged finding).
 */
export function credtrailChainGrowthAtOrAbove(threshold: number): EventPattern {
  return {
    ...CREDTRAIL_CHAIN_GROWTH_PATTERN,
    detail: {
      ...CREDTRAIL_CHAIN_GROWTH_PATTERN.detail,
      type: [...RESPONDABLE_FINDING_TYPES],
      severityScore: [{ numeric: ['>=', threshold] }],
    },
  };
}

/** credtrail bus → responder: GuardDuty findings whose numeric `severity` is at or above the threshold. */
export function guardDutyFindingsAtOrAbove(threshold: number): EventPattern {
  return {
    source: [GUARDDUTY_SOURCE],
    'detail-type': [GUARDDUTY_DETAIL_TYPE],
    detail: {
      type: [{ prefix: GUARDDUTY_EXFILTRATION_TYPE_PREFIX }],
      severity: [{ numeric: ['>=', threshold] }],
    },
  };
}

/** credtrail bus, no target: responder steps that failed, counted for an alarm. */
export const RESPONDER_FAILURE_PATTERN = {
  source: [RESPONSE_SOURCE],
  'detail-type': [ResponseDetailType.StepResult],
  detail: { status: ['failed'] },
} as const satisfies EventPattern;

/** credtrail bus, no target: responses that are failed(final), counted for an alarm. */
export const RESPONSE_FINAL_FAILURE_PATTERN = {
  source: [RESPONSE_SOURCE],
  'detail-type': [ResponseDetailType.Failed],
} as const satisfies EventPattern;

/** The central custom bus: findings, responder results, GuardDuty's and the members' forwarded calls. */
export const CREDTRAIL_BUS_NAME = 'credtrail';

/** EventBridge's detail-type for every CloudTrail record it carries (management and data events). */
export const CLOUDTRAIL_API_CALL_DETAIL_TYPE = 'AWS API Call via CloudTrail';

/**
 * Member default bus → central credtrail bus, within seconds of the call (the real-time path). Only
 * what the detector judges: calls signed with credentials EC2 delivered to an instance
 * (`ec2RoleDelivery` is EC2's proof; a session merely named `i-…` lacks it), not made by an AWS
 * service for the role (`invokedBy`), and EC2's own deliveries of such credentials (STS AssumeRole
 * invoked by ec2.amazonaws.com). No `source` filter: a stolen key can call any service, and only AWS
 * can send events whose source starts with `aws.`, so CloudTrail's events cannot be forged by a put.
 * The rule must be in state ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS, or read-only calls
 * (GetCallerIdentity, ListBuckets, Describe*) never reach it
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail-management.html).
 */
export const INSTANCE_CREDENTIAL_CALL_PATTERN = {
  'detail-type': [CLOUDTRAIL_API_CALL_DETAIL_TYPE],
  detail: {
    $or: [
      {
        userIdentity: {
          type: ['AssumedRole'],
          principalId: [{ wildcard: '*:i-*' }],
          invokedBy: [{ exists: false }],
          sessionContext: { ec2RoleDelivery: [{ exists: true }] },
        },
      },
      {
        eventSource: ['sts.amazonaws.com'],
        eventName: ['AssumeRole'],
        userIdentity: { invokedBy: ['ec2.amazonaws.com'] },
      },
    ],
  },
} as const satisfies EventPattern;

/** credtrail bus → real-time queue → detector: the calls members forward, and nothing else. */
export const FORWARDED_CALL_PATTERN = INSTANCE_CREDENTIAL_CALL_PATTERN;

export type BusTarget = 'notifier' | 'responder' | 'detector' | 'none';

export interface BusRoute {
  readonly ruleId: string;
  readonly description: string;
  readonly pattern: EventPattern;
  readonly target: BusTarget;
}

/**
 * The rules on the credtrail bus, in one list: the central stack deploys exactly these, and the local
 * demo routes its events through exactly these, so what a laptop shows is what the account does.
 */
export function credtrailBusRoutes(threshold: number): readonly BusRoute[] {
  return [
    {
      ruleId: 'NotifyCredtrailFindings',
      description: 'credtrail: every detector finding to the notifier',
      pattern: CREDTRAIL_FINDING_PATTERN,
      target: 'notifier',
    },
    {
      ruleId: 'NotifyChainGrowth',
      description:
        'credtrail: finding updates whose stolen-key chain grew (new derived session or artefact) to the notifier',
      pattern: CREDTRAIL_CHAIN_GROWTH_PATTERN,
      target: 'notifier',
    },
    {
      ruleId: 'NotifyGuardDutyFindings',
      description: 'credtrail: every forwarded GuardDuty credential finding to the notifier',
      pattern: GUARDDUTY_FINDING_PATTERN,
      target: 'notifier',
    },
    {
      ruleId: 'NotifyResponderResults',
      description: 'credtrail: every responder plan and step result to the notifier',
      pattern: RESPONDER_RESULT_PATTERN,
      target: 'notifier',
    },
    {
      ruleId: 'RespondCredtrailFindings',
      description: `credtrail: detector findings with severityScore >= ${threshold} to the responder`,
      pattern: credtrailFindingsAtOrAbove(threshold),
      target: 'responder',
    },
    {
      ruleId: 'RespondChainGrowth',
      description: `credtrail: finding updates whose chain grew, severityScore >= ${threshold}, to the responder`,
      pattern: credtrailChainGrowthAtOrAbove(threshold),
      target: 'responder',
    },
    {
      ruleId: 'RespondGuardDutyFindings',
      description: `credtrail: GuardDuty credential findings with severity >= ${threshold} to the responder`,
      pattern: guardDutyFindingsAtOrAbove(threshold),
      target: 'responder',
    },
    {
      ruleId: 'DetectForwardedCalls',
      description:
        'credtrail: instance-credential calls forwarded by member accounts to the real-time detector queue',
      pattern: FORWARDED_CALL_PATTERN,
      target: 'detector',
    },
    {
      ruleId: 'CountResponderFailures',
      description: 'credtrail: counts failed responder steps for an alarm (no target)',
      pattern: RESPONDER_FAILURE_PATTERN,
      target: 'none',
    },
    {
      ruleId: 'CountFinalResponseFailures',
      description:
        'credtrail: counts responses that failed for good (retries exhausted) for an alarm (no target)',
      pattern: RESPONSE_FINAL_FAILURE_PATTERN,
      target: 'none',
    },
  ];
}

export { DEFAULT_RESPONDER_SEVERITY_THRESHOLD } from './responder-threshold';
