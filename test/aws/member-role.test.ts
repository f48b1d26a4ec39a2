import { AssumeRoleCommand, STSClient, STSServiceException } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { MemberRoleError, assumeMemberRole, memberRoleArn } from '../../lib/aws/member-role';

const ROLE = memberRoleArn('aws', '222222222222', 'credtrail-member-read');
const ISSUED = {
  Credentials: {
    AccessKeyId: 'ASIAMEMBER',
    SecretAccessKey: 'secret',
    SessionToken: 'token',
    Expiration: new Date('2026-11-26T13:00:00Z'),
  },
};

function stsError(name: string): STSServiceException {
  return new STSServiceException({ name, $fault: 'client', $metadata: {}, message: `${name}: not yet` });
}

describe('assumeMemberRole', () => {
  const sts = mockClient(STSClient);
  afterEach(() => sts.reset());

  it('waits out IAM propagation: a refusal, then a second refusal, then the credentials', async () => {
    sts
      .on(AssumeRoleCommand)
      .rejectsOnce(stsError('AccessDenied'))
      .rejectsOnce(stsError('InvalidClientTokenId'))
      .resolves(ISSUED);
    const waits: number[] = [];

    const credentials = await assumeMemberRole(new STSClient({}), ROLE, {
      sessionName: 'credtrail-test',
      sleep: (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    });

    expect(credentials.accessKeyId).toBe('ASIAMEMBER');
    expect(waits).toEqual([1000, 2000]);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(3);
  });

  it('gives up after three refusals with an error naming the role', async () => {
    sts.on(AssumeRoleCommand).rejects(stsError('AccessDenied'));

    const attempt = assumeMemberRole(new STSClient({}), ROLE, {
      sessionName: 's',
      sleep: () => Promise.resolve(),
    });

    await expect(attempt).rejects.toThrow(MemberRoleError);
    await expect(attempt).rejects.toThrow(`could not assume ${ROLE} (AccessDenied: not yet)`);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(3);
  });

  it('does not retry what waiting cannot fix', async () => {
    sts.on(AssumeRoleCommand).rejects(stsError('RegionDisabledException'));

    await expect(
      assumeMemberRole(new STSClient({}), ROLE, { sessionName: 's', sleep: () => Promise.resolve() }),
    ).rejects.toThrow(MemberRoleError);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
  });

  it('refuses an answer without credentials', async () => {
    sts.on(AssumeRoleCommand).resolves({});

    await expect(assumeMemberRole(new STSClient({}), ROLE, { sessionName: 's' })).rejects.toThrow(
      'STS returned no credentials',
    );
  });
});
