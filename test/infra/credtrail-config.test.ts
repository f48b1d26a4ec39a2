import {
  CentralConfigSchema,
  CredtrailConfigError,
  MemberConfigSchema,
  readConfig,
} from '../../lib/infra/credtrail-config';

const required = {
  'credtrail:alertEmails': ['oncall@example.com'],
  'credtrail:cloudTrailBucketName': 'org-trail',
};

function errorOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof CredtrailConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a CredtrailConfigError');
}

describe('central settings', () => {
  it('applies safe defaults: dry-run, threshold 7, the responder defaults for actions', () => {
    const config = readConfig(CentralConfigSchema, required);

    expect(config).toMatchObject({
      mode: 'dry-run',
      responderSeverityThreshold: 7,
      detectorRoleName: 'credtrail-detector',
      memberReadRoleName: 'credtrail-member-read',
      protectedRoles: [],
      trustedAccounts: [],
    });
    expect(config.actionsBySeverity).toBeUndefined();
    expect(config.cloudTrailTopicArn).toBeUndefined();
  });

  it('reads -c strings: comma lists, JSON objects and numbers', () => {
    const config = readConfig(CentralConfigSchema, {
      'credtrail:alertEmails': 'a@example.com, b@example.com',
      'credtrail:cloudTrailBucketName': 'org-trail',
      'credtrail:trustedAccounts': '222222222222,333333333333',
      'credtrail:actionsBySeverity': '{"HIGH":["revoke-sessions","quarantine-instance"]}',
      'credtrail:responderSeverityThreshold': '4',
      'credtrail:maxIncidentsPerHour': '3',
      'credtrail:mode': 'enforce',
    });

    expect(config.alertEmails).toEqual(['a@example.com', 'b@example.com']);
    expect(config.trustedAccounts).toEqual(['222222222222', '333333333333']);
    expect(config.actionsBySeverity).toEqual({ HIGH: ['revoke-sessions', 'quarantine-instance'] });
    expect(config.responderSeverityThreshold).toBe(4);
    expect(config.maxIncidentsPerHour).toBe(3);
    expect(config.mode).toBe('enforce');
  });

  it('names every missing required setting', () => {
    const message = errorOf(() => readConfig(CentralConfigSchema, {}));

    expect(message).toContain('credtrail:alertEmails: is required');
    expect(message).toContain('credtrail:cloudTrailBucketName: is required');
  });

  it.each([
    ['credtrail:alertEmails', 'not-an-email', 'credtrail:alertEmails[0]'],
    ['credtrail:mode', 'yolo', 'credtrail:mode'],
    ['credtrail:actionsBySeverity', '{"HIGH":["nuke"]}', 'credtrail:actionsBySeverity[HIGH][0]'],
    ['credtrail:actionsBySeverity', '{"CRITICAL":[]}', 'credtrail:actionsBySeverity'],
    ['credtrail:responderSeverityThreshold', 'high', 'credtrail:responderSeverityThreshold'],
    ['credtrail:responderSeverityThreshold', '11', 'credtrail:responderSeverityThreshold'],
    ['credtrail:trustedAccounts', '12345', 'credtrail:trustedAccounts[0]'],
    ['credtrail:cloudTrailTopicArn', 'arn:aws:sqs:us-east-1:111111111111:q', 'credtrail:cloudTrailTopicArn'],
    ['credtrail:cloudTrailPrefix', 'logs/', 'credtrail:cloudTrailPrefix'],
    ['credtrail:memberReadRoleName', 'bad name', 'credtrail:memberReadRoleName'],
  ])('rejects %s=%j and names the setting', (key, value, named) => {
    const message = errorOf(() => readConfig(CentralConfigSchema, { ...required, [key]: value }));

    expect(message).toContain(`${named}:`);
  });

  it('rejects an unknown credtrail: key, the usual typo', () => {
    const message = errorOf(() =>
      readConfig(CentralConfigSchema, { ...required, 'credtrail:alertEmail': 'x@example.com' }),
    );

    expect(message).toContain('credtrail:alertEmail: unknown setting');
  });

  it("ignores context that is not credtrail's", () => {
    expect(() =>
      readConfig(CentralConfigSchema, { ...required, '@aws-cdk/core:newStyleStackSynthesis': true }),
    ).not.toThrow();
  });
});

describe('member settings', () => {
  it('needs the central account id and accepts it as a JSON number', () => {
    expect(errorOf(() => readConfig(MemberConfigSchema, {}))).toContain(
      'credtrail:centralAccountId: is required',
    );
    expect(
      readConfig(MemberConfigSchema, { 'credtrail:centralAccountId': 111111111111 }).centralAccountId,
    ).toBe('111111111111');
  });
});
