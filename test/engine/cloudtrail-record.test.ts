import delivery from '../fixtures/cloudtrail/ec2-assumerole-credential-delivery.json';
import eksNode from '../fixtures/cloudtrail/eks-node-role-listbuckets.json';
import wrapped from '../fixtures/cloudtrail/eventbridge-wrapped-instance-role-listobjects.json';
import identityRole from '../fixtures/cloudtrail/instance-identity-role-ssm.json';
import xray from '../fixtures/cloudtrail/instance-role-xray-data-event.json';
import stratus from '../fixtures/cloudtrail/stratus-stolen-instance-creds-used-outside.json';
import fc from 'fast-check';
import { isServiceSource, normalizeRecord, parseEventTime } from '../../lib/engine/cloudtrail-record';
import { deliveryRecord, useRecord } from '../support/cloudtrail-records';

describe('normalizeRecord: instance credential use', () => {
  it('recognises a stolen-credential call from the Stratus Red Team detonation', () => {
    const result = normalizeRecord(structuredClone(stratus[0]));

    expect(result).toEqual({
      status: 'event',
      event: expect.objectContaining({
        kind: 'use',
        accessKeyId: 'ASIAP5CT9NN8EYVU1FXV',
        instanceId: 'i-786a3A8B5C0d92eF4',
        credentialKind: 'instance-profile',
        roleArn: 'arn:aws:iam::017622104382:role/stratus-red-team-ec2-steal-credentials-role',
        roleName: 'stratus-red-team-ec2-steal-credentials-role',
        accountId: '017622104382',
        region: 'us-north-2r',
        sourceIp: '18.236.253.47',
        roleDelivery: '1.0',
        eventTime: Date.parse('2024-08-02T08:23:55Z'),
      }),
    });
  });

  it('reads real records with extra fields, errors and odd instance ids', () => {
    for (const record of [eksNode, xray]) {
      const result = normalizeRecord(structuredClone(record));
      expect(result.status).toBe('event');
    }
  });

  it('unwraps an EventBridge "AWS API Call via CloudTrail" event', () => {
    const result = normalizeRecord(structuredClone(wrapped));

    expect(result).toEqual({
      status: 'event',
      event: expect.objectContaining({
        kind: 'use',
        instanceId: 'i-INSTANCEIDBLAH',
        sourceIp: '54.52.68.192',
      }),
    });
  });

  it('tells the instance identity role apart from an instance profile', () => {
    const result = normalizeRecord(structuredClone(identityRole));

    expect(result).toEqual({
      status: 'event',
      event: expect.objectContaining({
        credentialKind: 'instance-identity',
        instanceId: 'i-02854e4bEXAMPLE',
      }),
    });
  });

  it('keeps the VPC endpoint and its owner, and ignores "AWS Internal" in vpcEndpointId', () => {
    const viaEndpoint = normalizeRecord(
      useRecord({ sourceIp: '10.0.1.15', vpcEndpointId: 'vpce-0abc', vpcEndpointAccountId: '999999999999' }),
    );
    const internal = normalizeRecord(useRecord({ vpcEndpointId: 'AWS Internal' }));

    expect(viaEndpoint).toEqual({
      status: 'event',
      event: expect.objectContaining({ vpcEndpointId: 'vpce-0abc', vpcEndpointAccountId: '999999999999' }),
    });
    expect(
      internal.status === 'event' && internal.event.kind === 'use' && internal.event.vpcEndpointId,
    ).toBeUndefined();
  });

  it('normalises IPv6 and IPv4-mapped addresses to one spelling', () => {
    const v6 = normalizeRecord(useRecord({ sourceIp: '2600:1F18:0000::0001' }));
    const mapped = normalizeRecord(useRecord({ sourceIp: '::ffff:3.80.1.10' }));

    expect(v6.status === 'event' && v6.event.kind === 'use' && v6.event.sourceIp).toBe('2600:1f18::1');
    expect(mapped.status === 'event' && mapped.event.kind === 'use' && mapped.event.sourceIp).toBe(
      '3.80.1.10',
    );
  });
});

describe('normalizeRecord: calls AWS makes with the role are not origins', () => {
  it.each([
    [
      'invokedBy set',
      (r: Record<string, unknown>) =>
        ((r['userIdentity'] as Record<string, unknown>)['invokedBy'] = 'cloudformation.amazonaws.com'),
    ],
    ['sourceIPAddress AWS Internal', (r: Record<string, unknown>) => (r['sourceIPAddress'] = 'AWS Internal')],
    [
      'sourceIPAddress AWS Internal/#',
      (r: Record<string, unknown>) => (r['sourceIPAddress'] = 'AWS Internal/3'),
    ],
    [
      'sourceIPAddress a service name',
      (r: Record<string, unknown>) => (r['sourceIPAddress'] = 'autoscaling.amazonaws.com'),
    ],
  ])('%s', (_name, mutate) => {
    const record = useRecord();
    mutate(record);

    expect(normalizeRecord(record)).toEqual({ status: 'service-call' });
  });

  it('a normal call from an address is not a service call', () => {
    expect(normalizeRecord(useRecord()).status).toBe('event');
    expect(isServiceSource('3.80.1.10')).toBe(false);
  });
});

describe('normalizeRecord: EC2 credential delivery', () => {
  it('learns key, instance, role and account from the AssumeRole EC2 makes', () => {
    const result = normalizeRecord(structuredClone(delivery));

    expect(result).toEqual({
      status: 'event',
      event: {
        kind: 'delivery',
        eventId: 'f12888b4-4208-4ead-aa6a-1a21ffb24c15',
        eventTime: Date.parse('2019-12-10T01:44:26Z'),
        accessKeyId: 'AAAASSSRRRRRZZZZZZCC',
        instanceId: 'i-00888ddddd3333322',
        roleArn: 'arn:aws:iam::123456789012:role/S3SecurityDataAssumeRole',
        accountId: '123456789012',
        region: 'us-east-1',
      },
    });
  });

  it('ignores an AssumeRole by EC2 whose session is not named after an instance', () => {
    const record = structuredClone(delivery);
    record.requestParameters.roleSessionName = 'AutoScaling';

    expect(normalizeRecord(record)).toEqual({ status: 'unrelated' });
  });

  it('ignores an AssumeRole made by someone other than EC2', () => {
    const record = structuredClone(delivery) as Record<string, unknown>;
    record['userIdentity'] = { type: 'IAMUser', userName: 'alice' };
    record['sourceIPAddress'] = '3.80.1.10';

    expect(normalizeRecord(record)).toEqual({ status: 'unrelated' });
  });
});

describe('normalizeRecord: everything else', () => {
  it('ignores other principals', () => {
    const lambdaRole = useRecord();
    const identity = lambdaRole['userIdentity'] as Record<string, unknown>;
    identity['principalId'] = 'AROAEXAMPLE:my-function';
    const user = { ...useRecord(), userIdentity: { type: 'IAMUser', userName: 'alice' } };

    expect(normalizeRecord(lambdaRole)).toEqual({ status: 'unrelated' });
    expect(normalizeRecord(user)).toEqual({ status: 'unrelated' });
    expect(normalizeRecord({ eventName: 'ConsoleLogin' })).toEqual({ status: 'unrelated' });
  });

  it('reports instance-credential records missing what detection needs, naming the field', () => {
    const noKey = useRecord();
    delete (noKey['userIdentity'] as Record<string, unknown>)['accessKeyId'];
    const badIp = useRecord({ sourceIp: 'not-an-address' });
    const badTime = useRecord({ eventTime: 'yesterday' });

    expect(normalizeRecord(noKey)).toEqual({
      status: 'invalid',
      reason: expect.stringContaining('userIdentity.accessKeyId'),
    });
    expect(normalizeRecord(badIp)).toEqual({
      status: 'invalid',
      reason: expect.stringContaining('not-an-address'),
    });
    expect(normalizeRecord(badTime)).toEqual({
      status: 'invalid',
      reason: expect.stringContaining('yesterday'),
    });
    expect(normalizeRecord('text')).toEqual({ status: 'invalid', reason: 'record is not an object' });
    expect(normalizeRecord(null)).toEqual({ status: 'invalid', reason: 'record is not an object' });
  });

  it('rejects wrong types in optional fields and nested objects as the schema did, naming each field', () => {
    const nullAgent = { ...useRecord(), userAgent: null };
    const stringContext = useRecord();
    (stringContext['userIdentity'] as Record<string, unknown>)['sessionContext'] = 'not an object';
    const delivery = deliveryRecord({ accessKeyId: 'ASIATESTKEY000000001' });
    const emptyDeliveredKey = structuredClone(delivery) as typeof delivery & {
      responseElements: { credentials: Record<string, unknown> };
    };
    emptyDeliveredKey.responseElements.credentials['accessKeyId'] = '';
    const noParameters = { ...delivery, requestParameters: undefined };

    expect(normalizeRecord(nullAgent)).toEqual({
      status: 'invalid',
      reason: 'userAgent: expected a string, got null',
    });
    expect(normalizeRecord(stringContext)).toEqual({
      status: 'invalid',
      reason: 'userIdentity.sessionContext: expected an object, got string',
    });
    expect(normalizeRecord(emptyDeliveredKey)).toEqual({
      status: 'invalid',
      reason: 'responseElements.credentials.accessKeyId: must not be empty',
    });
    expect(normalizeRecord(noParameters)).toEqual({
      status: 'invalid',
      reason: expect.stringContaining('requestParameters: required'),
    });
  });
});

describe('parseEventTime', () => {
  it("reads CloudTrail's spelling of a time as Date.parse does", () => {
    expect(parseEventTime('2024-08-02T08:23:55Z')).toBe(Date.UTC(2024, 7, 2, 8, 23, 55));
    expect(parseEventTime('1999-12-31T23:59:59Z')).toBe(Date.UTC(1999, 11, 31, 23, 59, 59));
  });

  it('answers what Date.parse answers for other spellings and out-of-range or non-digit fields', () => {
    const odd = [
      '2025-02-31T00:00:00Z', // Date.parse rolls the day over
      '2025-13-01T00:00:00Z',
      '2025-01-01T24:00:00Z',
      '2025-01-01T23:60:00Z',
      '0050-01-01T00:00:00Z',
      '2025-0a-01T00:00:00Z',
      '2025-01-01T-1:00:00Z',
      '2025-01-01T00:00:00.123Z',
      '2025-01-01 00:00:00Z',
      'yesterday',
      '',
    ];
    for (const text of odd) expect(parseEventTime(text)).toStrictEqual(Date.parse(text));
  });

  it('agrees with Date.parse on any time and any 20 characters shaped like one', () => {
    const times = fc
      .date({
        min: new Date('1000-01-01T00:00:00Z'),
        max: new Date('9999-12-31T23:59:59Z'),
        noInvalidDate: true,
      })
      .map((date) => `${date.toISOString().slice(0, 19)}Z`);
    const shaped = fc
      .array(fc.constantFrom(...'0123456789a-+ '), { minLength: 14, maxLength: 14 })
      .map(
        (c) =>
          `${c.slice(0, 4).join('')}-${c.slice(4, 6).join('')}-${c.slice(6, 8).join('')}T${c.slice(8, 10).join('')}:${c.slice(10, 12).join('')}:${c.slice(12, 14).join('')}Z`,
      );
    fc.assert(
      fc.property(fc.oneof(times, shaped), (text) => {
        expect(parseEventTime(text)).toStrictEqual(Date.parse(text));
      }),
    );
  });
});
