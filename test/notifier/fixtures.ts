import { ResponseConfigSchema, type ResponseConfig } from '../../lib/responder/response-config-schema';

import type { TaintSummary } from '../../lib/contracts/finding-event';
export { loadEvent } from '../fixtures/events/load-event';

/** The responder's configuration with its own defaults filled in, as the notifier gets it. */
export function responseConfig(input: unknown = {}): ResponseConfig {
  return ResponseConfigSchema.parse(input);
}

/** A chain: one role assumed with the stolen key, an access key it created, a secret it read. */
export const chainTaint: TaintSummary = {
  derivedSessions: [
    {
      accessKeyId: 'ASIAHOPONEADMIN00001',
      parentAccessKeyId: 'ASIASTOLENINSTANCE01',
      via: 'AssumeRole',
      roleArn: 'arn:aws:iam::111111111111:role/admin-role',
      sessionName: 'thief-admin',
      accountId: '111111111111',
      region: 'us-east-1',
      mintedAt: '2026-11-26T10:01:00.000Z',
      expiresAt: '2026-11-26T11:01:00.000Z',
    },
  ],
  derivedCallCount: 7,
  persistence: [
    {
      kind: 'access-key',
      id: 'AKIAPERSISTENT000001',
      context: 'user backup-bot',
      owner: 'backup-bot',
      eventName: 'CreateAccessKey',
      eventTime: '2026-11-26T10:06:00.000Z',
      accountId: '222222222222',
      region: 'eu-west-1',
      accessKeyId: 'ASIAHOPTWODEPLOY0002',
    },
  ],
  reads: [
    {
      kind: 'secret-read',
      id: 'prod/stripe-key',
      context: null,
      eventName: 'GetSecretValue',
      eventTime: '2026-11-26T10:10:30.000Z',
      accountId: '222222222222',
      region: 'eu-west-1',
      accessKeyId: 'ASIAHOPTWODEPLOY0002',
      count: 2,
    },
  ],
  truncated: false,
};
