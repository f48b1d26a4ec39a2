import { incidentIdFor, normaliseEvent } from '../../lib/responder/incident-normaliser';
import {
  credtrailEvent,
  insideAwsAffiliatedEvent,
  insideAwsEvent,
  outsideAwsEvent,
} from './responder-fixtures';

const options = { trustedPublisherAccounts: [] };

describe('normaliseEvent', () => {
  it('normalises the GuardDuty OutsideAWS finding', () => {
    const result = normaliseEvent(structuredClone(outsideAwsEvent), options);
    expect(result).toEqual({
      ok: true,
      incident: expect.objectContaining({
        incidentId: incidentIdFor('guardduty', '5ec8a2a3c1b7f0d2e9a4b6c8d0e2f4a6'),
        findingSource: 'guardduty',
        severity: 'HIGH',
        accountId: '123456789012',
        region: 'us-east-1',
        roleName: 'WebAppRole',
        instanceId: 'i-0a1b2c3d4e5f67890',
        accessKeyId: 'ASIAQWERTYUIOPASDFGH',
        origin: { ip: '198.51.100.77', accountId: null, affiliated: null, vpcEndpointId: null },
        networkHint: { vpcIds: ['vpc-0123456789abcdef0'], egressIps: [] },
        sample: false,
      }),
    });
  });

  it('normalises the InsideAWS findings with the remote account, HIGH or MEDIUM', () => {
    const foreign = normaliseEvent(structuredClone(insideAwsEvent), options);
    const affiliated = normaliseEvent(structuredClone(insideAwsAffiliatedEvent), options);
    expect(foreign.ok && foreign.incident.origin).toEqual({
      ip: '18.210.66.4',
      accountId: '999900001111',
      affiliated: false,
      vpcEndpointId: null,
    });
    expect(foreign.ok && foreign.incident.severity).toBe('HIGH');
    expect(affiliated.ok && affiliated.incident.severity).toBe('MEDIUM');
  });

  it('normalises a credtrail finding', () => {
    const result = normaliseEvent(structuredClone(credtrailEvent), options);
    expect(result.ok && result.incident).toEqual(
      expect.objectContaining({
        findingSource: 'credtrail',
        roleArn: 'arn:aws:iam::123456789012:role/WebAppRole',
        networkHint: { vpcIds: ['vpc-0123456789abcdef0'], egressIps: ['203.0.113.10'] },
      }),
    );
  });

  it('refuses an event larger than EventBridge could have delivered, before parsing it', () => {
    const oversized = structuredClone(credtrailEvent);
    oversized.detail.reason = 'x'.repeat(300 * 1024);

    const result = normaliseEvent(oversized, options);

    expect(result).toEqual({
      ok: false,
      reason: expect.stringMatching(/^event of \d+ bytes is over EventBridge's 262144-byte limit$/),
    });
  });

  it('refuses a credtrail finding about another account than the publisher', () => {
    const event = structuredClone(credtrailEvent);
    event.account = '666666666666';
    const result = normaliseEvent(event, options);
    expect(result).toEqual({
      ok: false,
      reason: expect.stringContaining('published by account 666666666666'),
    });
  });

  it('refuses a GuardDuty finding whose detail.accountId is not the event account', () => {
    const event = structuredClone(outsideAwsEvent);
    event.detail.accountId = '210987654321';
    expect(normaliseEvent(event, options).ok).toBe(false);
  });

  it('accepts findings about members from a trusted publisher account', () => {
    const event = structuredClone(outsideAwsEvent);
    event.account = '555555555555';
    expect(normaliseEvent(event, { trustedPublisherAccounts: ['555555555555'] }).ok).toBe(true);
  });

  it('refuses other finding types and other events', () => {
    const oldName = structuredClone(outsideAwsEvent);
    oldName.detail.type = 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration';
    const other = structuredClone(outsideAwsEvent);
    other.source = 'aws.ec2';
    expect(normaliseEvent(oldName, options).ok).toBe(false);
    expect(normaliseEvent(other, options)).toEqual({
      ok: false,
      reason: expect.stringContaining('unsupported event'),
    });
    expect(normaliseEvent('nonsense', options).ok).toBe(false);
  });

  it('marks GuardDuty sample findings', () => {
    const event = structuredClone(outsideAwsEvent);
    (event.detail.service as { additionalInfo: unknown }).additionalInfo = {
      value: '{"sample":true}',
      type: 'default',
    };
    const result = normaliseEvent(event, options);
    expect(result.ok && result.incident.sample).toBe(true);
  });

  it('derives the same incident id for every delivery of a finding', () => {
    const first = normaliseEvent(structuredClone(outsideAwsEvent), options);
    const resent = structuredClone(outsideAwsEvent);
    resent.id = 'another-delivery';
    resent.detail.updatedAt = '2026-11-20T18:30:47.427Z';
    const second = normaliseEvent(resent, options);
    expect(first.ok && second.ok && first.incident.incidentId === second.incident.incidentId).toBe(true);
  });
});
