import { matchesEventPattern, UnsupportedPatternError } from '../../lib/infra/event-pattern-matcher';

// Examples from the EventBridge User Guide ("Event patterns", "Content filtering"), each checked both
// ways, so the matcher that judges credtrail's patterns is itself held to AWS's documented behaviour.
const ec2Event = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: {
    'instance-id': 'i-1234567890abcdef0',
    state: 'terminated',
    'c-count': 5,
    'd-count': 3,
    'x-limit': 301.8,
  },
};

describe('matchesEventPattern (EventBridge semantics)', () => {
  it.each([
    ['exact values are ORed within a field', { source: ['aws.ec2', 'aws.fargate'] }, true],
    ['every field must match', { source: ['aws.ec2'], 'detail-type': ['Something else'] }, false],
    ['nested objects descend into detail', { detail: { state: ['terminated'] } }, true],
    [
      'a value matches any element of an event array',
      { resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'] },
      true,
    ],
    ['prefix', { time: [{ prefix: '2017-12-22' }] }, true],
    ['wildcard in the middle', { resources: [{ wildcard: 'arn:aws:ec2:*:instance/i-*' }] }, true],
    ['wildcard that does not match', { resources: [{ wildcard: 'arn:aws:s3:::*' }] }, false],
    ['wildcard must cover the whole value', { source: [{ wildcard: 'aws' }] }, false],
    ['wildcard treats other characters literally', { source: [{ wildcard: 'aws?ec2' }] }, false],
    ['prefix that does not match', { time: [{ prefix: '2018' }] }, false],
    ['suffix', { source: [{ suffix: '.ec2' }] }, true],
    [
      'equals-ignore-case',
      { 'detail-type': [{ 'equals-ignore-case': 'ec2 instance state-change notification' }] },
      true,
    ],
    ['anything-but a list', { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } }, true],
    ['anything-but the value itself', { detail: { state: [{ 'anything-but': 'terminated' }] } }, false],
    ['anything-but a prefix', { detail: { state: [{ 'anything-but': { prefix: 'term' } }] } }, false],
    [
      'numeric range, documented example',
      { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }], 'x-limit': [{ numeric: ['=', 301.8] }] } },
      true,
    ],
    ['numeric range excluding the value', { detail: { 'd-count': [{ numeric: ['<', 3] }] } }, false],
    ['numeric >= at the bound', { detail: { 'c-count': [{ numeric: ['>=', 5] }] } }, true],
    ['exists: true', { detail: { state: [{ exists: true }] } }, true],
    ['exists: false on a missing field', { detail: { missing: [{ exists: false }] } }, true],
    ['a missing field never matches a value', { detail: { missing: ['x'] } }, false],
    ['$or alternatives', { $or: [{ source: ['aws.s3'] }, { detail: { state: ['terminated'] } }] }, true],
    [
      '$or with no matching alternative',
      { $or: [{ source: ['aws.s3'] }, { detail: { state: ['running'] } }] },
      false,
    ],
  ])('%s', (_name, pattern, expected) => {
    expect(matchesEventPattern(pattern, ec2Event)).toBe(expected);
  });

  it('matches by type: a numeric-looking string is not a number, "5" is not 5', () => {
    const stringCount = { detail: { 'c-count': '5' } };

    expect(matchesEventPattern({ detail: { 'c-count': [{ numeric: ['>=', 1] }] } }, stringCount)).toBe(false);
    expect(matchesEventPattern({ detail: { 'c-count': [5] } }, stringCount)).toBe(false);
    expect(matchesEventPattern({ detail: { 'c-count': ['5'] } }, stringCount)).toBe(true);
  });

  it('matches null only against a JSON null, and an object pattern only against an object', () => {
    expect(matchesEventPattern({ detail: { a: [null] } }, { detail: { a: null } })).toBe(true);
    expect(matchesEventPattern({ detail: { a: [null] } }, { detail: {} })).toBe(false);
    expect(matchesEventPattern({ detail: { a: ['x'] } }, { detail: 'x' })).toBe(false);
  });

  it.each([
    ['an unknown operator', { source: [{ cidr: '10.0.0.0/8' }] }],
    ['two stars in a row in a wildcard', { source: [{ wildcard: 'aws**' }] }],
    ['an operator object with two operators', { source: [{ prefix: 'a', suffix: 'b' }] }],
    ['an empty list', { source: [] }],
    ['a bare scalar value', { source: 'aws.ec2' }],
    ['a bad numeric comparison', { detail: { 'c-count': [{ numeric: ['>>', 1] }] } }],
  ])('refuses %s instead of guessing', (_name, pattern) => {
    expect(() => matchesEventPattern(pattern, ec2Event)).toThrow(UnsupportedPatternError);
  });
});
