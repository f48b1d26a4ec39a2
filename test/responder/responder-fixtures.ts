import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ResponseConfigSchema, type ResponseConfig } from '../../lib/responder/response-config-schema';
import type { ObservedState } from '../../lib/responder/observed-state';

// Fixtures are read as plain JSON so each test can structuredClone and mutate its own copy.
function load(path: string): Record<string, unknown> & { detail: Record<string, unknown> } {
  return JSON.parse(readFileSync(join(__dirname, '..', path), 'utf8')) as Record<string, unknown> & {
    detail: Record<string, unknown>;
  };
}

export const outsideAwsEvent = load('fixtures/guardduty/instance-credential-exfiltration-outside-aws.json');
export const insideAwsEvent = load('fixtures/guardduty/instance-credential-exfiltration-inside-aws.json');
export const insideAwsAffiliatedEvent = load(
  'fixtures/guardduty/instance-credential-exfiltration-inside-aws-affiliated.json',
);
export const credtrailEvent = load('responder/fixtures/credtrail-finding-event.json');

export const NOW = new Date('2026-11-20T12:40:00.000Z');
export const ACCOUNT = '123456789012';
export const INSTANCE_ID = 'i-0a1b2c3d4e5f67890';
export const VPC_ID = 'vpc-0123456789abcdef0';
export const NAT_IP = '203.0.113.10';
export const ENI_ID = 'eni-0123456789abcdef0';
export const WEB_SG = 'sg-0123456789abcdef0';
export const PROFILE_ARN = 'arn:aws:iam::123456789012:instance-profile/WebAppRole';

export function config(overrides: Record<string, unknown> = {}): ResponseConfig {
  return ResponseConfigSchema.parse(overrides);
}

export function observedState(): ObservedState {
  return {
    role: {
      name: 'WebAppRole',
      arn: 'arn:aws:iam::123456789012:role/WebAppRole',
      path: '/',
      tags: {},
      inlinePolicies: [],
    },
    instance: {
      instanceId: INSTANCE_ID,
      state: 'running',
      tags: { Name: 'web-1' },
      interfaces: [{ networkInterfaceId: ENI_ID, vpcId: VPC_ID, groupIds: [WEB_SG] }],
      volumeIds: ['vol-0123456789abcdef0'],
      profileAssociation: { associationId: 'iip-assoc-0123456789abcdef0', profileArn: PROFILE_ARN },
      terminationProtection: false,
    },
    instanceProfile: { profileArn: PROFILE_ARN, roleArns: ['arn:aws:iam::123456789012:role/WebAppRole'] },
    roleNetwork: { vpcIds: [VPC_ID], egressIps: [NAT_IP] },
    isolationGroups: { [VPC_ID]: { isolation: null, transition: null } },
  };
}
