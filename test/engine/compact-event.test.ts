import { normalizeRecord, type NormalizeResult } from '../../lib/engine/cloudtrail-record';
import { EventCompactor } from '../../lib/engine/compact-event';
import type { CredentialUse } from '../../lib/engine/credential-event';
import { useRecord } from '../support/cloudtrail-records';

function useOf(result: NormalizeResult): CredentialUse {
  if (result.status !== 'event' || result.event.kind !== 'use')
    throw new Error(`not a use: ${JSON.stringify(result)}`);
  return result.event;
}

describe('EventCompactor: events share strings, never meaning', () => {
  it('gives every call of a session the same identity fields as a fresh read of the record', () => {
    const compactor = new EventCompactor();
    const first = useOf(normalizeRecord(useRecord({ eventId: 'a', sourceIp: '3.80.1.10' }), compactor));
    const second = useOf(normalizeRecord(useRecord({ eventId: 'b', sourceIp: '3.80.1.11' }), compactor));
    const fresh = useOf(
      normalizeRecord(useRecord({ eventId: 'b', sourceIp: '3.80.1.11' }), new EventCompactor()),
    );

    expect(second).toEqual(fresh);
    expect(second.eventId).toBe('b');
    expect(second.sourceIp).toBe('3.80.1.11');
    expect(first.roleArn).toBe(second.roleArn);
    expect(first.eventId).toBe('a');
  });

  it('derives the identity again when a record under a known key names another principal or role', () => {
    const compactor = new EventCompactor();
    useOf(normalizeRecord(useRecord({ accessKeyId: 'ASIASAMEKEY000000001' }), compactor));
    const record = useRecord({ accessKeyId: 'ASIASAMEKEY000000001', instanceId: 'i-0ffffffffffffffff' });
    const identity = record['userIdentity'] as Record<string, Record<string, Record<string, unknown>>>;
    (identity['sessionContext'] as Record<string, Record<string, unknown>>)['sessionIssuer'] = {
      arn: 'arn:aws:iam::111111111111:role/other-role',
      userName: 'other-role',
      accountId: '111111111111',
    };
    const other = useOf(normalizeRecord(record, compactor));

    expect(other.instanceId).toBe('i-0ffffffffffffffff');
    expect(other.roleName).toBe('other-role');
    expect(other.roleArn).toBe('arn:aws:iam::111111111111:role/other-role');
    expect(other).toEqual(useOf(normalizeRecord(record, new EventCompactor())));
  });

  it('keeps an IMDSv1 delivery apart from an IMDSv2 one under the same key', () => {
    const compactor = new EventCompactor();
    const v2 = useOf(normalizeRecord(useRecord({ accessKeyId: 'ASIAKEY2', roleDelivery: '2.0' }), compactor));
    const v1 = useOf(normalizeRecord(useRecord({ accessKeyId: 'ASIAKEY2', roleDelivery: '1.0' }), compactor));

    expect(v2.roleDelivery).toBe('2.0');
    expect(v1.roleDelivery).toBe('1.0');
  });

  it('gives each call of a session its own region, user agent and session start when they change', () => {
    // Arrange: one key whose calls switch region, user agent (one beyond 200 characters) and back.
    const longAgent = `aws-cli/2.15 ${'x'.repeat(250)}`;
    const calls = [
      { region: 'us-east-1', userAgent: 'aws-sdk-go/1.0', createdAt: '2026-11-26T09:00:00Z' },
      { region: 'eu-west-1', userAgent: 'aws-sdk-go/1.0', createdAt: '2026-11-26T09:00:00Z' },
      { region: 'eu-west-1', userAgent: longAgent, createdAt: '2026-11-26T09:00:00Z' },
      { region: 'us-east-1', userAgent: 'curl/8.5', createdAt: '2026-11-26T09:30:00Z' },
      { region: 'us-east-1', userAgent: 'aws-sdk-go/1.0', createdAt: '2026-11-26T09:00:00Z' },
    ];
    const records = calls.map((call, index) => {
      const record = useRecord({ eventId: `e${index}`, userAgent: call.userAgent });
      record['awsRegion'] = call.region;
      const identity = record['userIdentity'] as Record<string, Record<string, unknown>>;
      (identity['sessionContext'] as Record<string, unknown>)['attributes'] = {
        creationDate: call.createdAt,
        mfaAuthenticated: 'false',
      };
      return record;
    });
    const compactor = new EventCompactor();

    // Act
    const events = records.map((record) => useOf(normalizeRecord(record, compactor)));

    // Assess: what a fresh compactor reads from each record alone.
    expect(events).toEqual(records.map((record) => useOf(normalizeRecord(record, new EventCompactor()))));
    expect(events.map((event) => event.region)).toEqual(calls.map((call) => call.region));
    expect(events.map((event) => event.sessionCreatedAt)).toEqual(calls.map((call) => call.createdAt));
    expect(events.map((event) => event.userAgent?.length)).toEqual([14, 14, 201, 8, 14]);
  });

  it('stays bounded and correct when its tables overflow', () => {
    const compactor = new EventCompactor(2);
    const texts = ['GetObject', 'PutObject', 'ListBuckets', 'GetObject'];
    expect(texts.map((text) => compactor.share(text))).toEqual(texts);
    const addresses = ['3.80.1.10', '::ffff:3.80.1.11', 'AWS Internal', '3.80.1.10'];
    const normalize = (text: string) => (text.startsWith('AWS') ? undefined : text.replace('::ffff:', ''));
    expect(addresses.map((text) => compactor.address(text, normalize))).toEqual([
      '3.80.1.10',
      '3.80.1.11',
      undefined,
      '3.80.1.10',
    ]);
    for (let key = 0; key < 5; key++) {
      const event = useOf(
        normalizeRecord(useRecord({ accessKeyId: `ASIAKEY${key}`, instanceId: `i-0${key}` }), compactor),
      );
      expect(event.accessKeyId).toBe(`ASIAKEY${key}`);
      expect(event.instanceId).toBe(`i-0${key}`);
    }
  });

  it('reports a malformed record exactly as the rules describe it', () => {
    const record = useRecord();
    (record['userIdentity'] as Record<string, unknown>)['sessionContext'] = 'not an object';
    record['eventName'] = 42;

    expect(normalizeRecord(record, new EventCompactor())).toEqual({
      status: 'invalid',
      reason:
        'eventName: expected a string, got number; userIdentity.sessionContext: expected an object, got string',
    });
  });
});
