import { runSimulation } from '@cloud-copilot/iam-simulate';
import { ResponseConfigSchema } from '../../lib/responder/response-config-schema';
import { planChainSteps } from '../../lib/responder/chain-planner';
import type { Incident } from '../../lib/responder/incident-schema';
import { UNOBSERVED } from '../../lib/responder/observed-state';
import type { ApiCall } from '../../lib/responder/response-plan';

const MEMBER_ACCOUNT = '222222222222';
const RESPONSE_SESSION = `arn:aws:sts::${MEMBER_ACCOUNT}:assumed-role/credtrail-member-response/credtrail-inc-1`;

// What issue 11 grants the member response role for issue 17 (the lead checks it against the member
// template after merging): key status may change, keys may be listed, nothing may be deleted.
const GRANT = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: ['iam:UpdateAccessKey', 'iam:ListAccessKeys'],
      Resource: 'arn:aws:iam::*:user/*',
    },
  ],
};

/** The IAM request a planned call makes: IAM authorises UpdateAccessKey on the key's user. */
function requestOf(call: ApiCall): { action: string; resource: string } {
  if (call.api !== 'iam:UpdateAccessKey') throw new Error(`not an access-key call: ${call.api}`);
  return { action: call.api, resource: `arn:aws:iam::${MEMBER_ACCOUNT}:user/${call.input.UserName}` };
}

async function decide(action: string, resource: string): Promise<string> {
  const result = await runSimulation(
    {
      request: {
        principal: RESPONSE_SESSION,
        action,
        resource: { resource, accountId: MEMBER_ACCOUNT },
        contextVariables: {},
      },
      identityPolicies: [{ name: 'MemberResponse', policy: GRANT }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(JSON.stringify(result.errors));
  return result.overallResult;
}

const incident: Incident = {
  incidentId: 'inc-1',
  findingSource: 'credtrail',
  findingId: 'f'.repeat(32),
  findingType: 'InstanceCredentialExfiltration.UnexpectedOrigin',
  severity: 'HIGH',
  severityScore: 8,
  accountId: '111111111111',
  region: 'us-east-1',
  partition: 'aws',
  roleName: 'web-app-role',
  roleArn: 'arn:aws:iam::111111111111:role/web-app-role',
  instanceId: 'i-0a1b2c3d4e5f60718',
  accessKeyId: 'ASIASTOLENINSTANCE01',
  origin: { ip: '203.0.113.66', accountId: null, affiliated: null, vpcEndpointId: null },
  networkHint: { vpcIds: [], egressIps: [] },
  firstSeen: null,
  lastSeen: null,
  chain: {
    roles: [],
    accessKeys: [{ accessKeyId: 'AKIAPERSISTENT000001', userName: 'backup-bot', accountId: MEMBER_ACCOUNT }],
    manual: [],
  },
  sample: false,
};

describe('deactivating an access key the thief created', () => {
  const [step] = planChainSteps(
    {
      incident,
      config: ResponseConfigSchema.parse({}),
      observed: UNOBSERVED,
      now: new Date('2026-11-26T10:30:00Z'),
      responderRoleNames: [],
    },
    1,
  );
  const call = step?.calls[0] as ApiCall;

  it('is one UpdateAccessKey call to Inactive, in the key’s account', () => {
    expect(step).toMatchObject({
      action: 'deactivate-access-key',
      status: 'planned',
      accountId: MEMBER_ACCOUNT,
    });
    expect(call).toEqual({
      api: 'iam:UpdateAccessKey',
      input: { UserName: 'backup-bot', AccessKeyId: 'AKIAPERSISTENT000001', Status: 'Inactive' },
    });
  });

  it('is allowed by a policy granting iam:UpdateAccessKey', async () => {
    const { action, resource } = requestOf(call);
    expect(await decide(action, resource)).toBe('Allowed');
  });

  it('needs nothing that deletes: DeleteAccessKey stays denied under the same grant', async () => {
    const { resource } = requestOf(call);
    expect(await decide('iam:DeleteAccessKey', resource)).toBe('ImplicitlyDenied');
  });
});
