import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { PolicyDocument } from '../../policies/policy-document';

export const ROLE_SESSION = 'arn:aws:sts::123456789012:assumed-role/WebAppRole/i-0a1b2c3d4e5f67890';

// An allow-all identity policy beside the deny, so "Allowed" means the deny did not apply.
const ALLOW_ALL = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

export async function decide(
  deny: PolicyDocument,
  contextVariables: Record<string, string | string[]>,
  action = 's3:ListAllMyBuckets',
): Promise<string> {
  const result = await runSimulation(
    {
      request: {
        principal: ROLE_SESSION,
        action,
        resource: { resource: '*', accountId: '123456789012' },
        contextVariables,
      },
      identityPolicies: [
        { name: 'AllowAll', policy: ALLOW_ALL },
        { name: 'UnderTest', policy: deny },
      ],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(JSON.stringify(result.errors));
  return result.overallResult;
}
