import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { Template } from 'aws-cdk-lib/assertions';

/**
 * Policies as they would be deployed, read from a synthesized template, for iam-simulate: intrinsics
 * resolved with a concrete partition, account and region, and every `Ref`/`Fn::GetAtt` of a resource
 * replaced by a name or ARN the test chooses.
 */
export const MEMBER_ACCOUNT = '222222222222';
export const REGION = 'us-east-1';

export interface PolicyDocument {
  Version?: string;
  Statement: Record<string, unknown>[];
}

export interface Resolution {
  readonly account: string;
  /** Logical id → value of `Ref`. */
  readonly refs?: Readonly<Record<string, string>>;
  /** `LogicalId.Attribute` → value of `Fn::GetAtt`. */
  readonly attributes?: Readonly<Record<string, string>>;
}

export function resolveIntrinsics(value: unknown, resolution: Resolution): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveIntrinsics(v, resolution));
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  if ('Ref' in object) {
    const ref = object['Ref'] as string;
    const pseudo: Record<string, string> = {
      'AWS::Partition': 'aws',
      'AWS::AccountId': resolution.account,
      'AWS::Region': REGION,
      'AWS::URLSuffix': 'amazonaws.com',
    };
    const resolved = pseudo[ref] ?? resolution.refs?.[ref];
    if (resolved === undefined) throw new Error(`unresolved Ref ${ref}`);
    return resolved;
  }
  if ('Fn::GetAtt' in object) {
    const [id, attribute] = object['Fn::GetAtt'] as [string, string];
    const resolved = resolution.attributes?.[`${id}.${attribute}`];
    if (resolved === undefined) throw new Error(`unresolved Fn::GetAtt ${id}.${attribute}`);
    return resolved;
  }
  if ('Fn::Join' in object) {
    const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => resolveIntrinsics(part, resolution) as string).join(separator);
  }
  return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, resolveIntrinsics(v, resolution)]));
}

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

export function resourcesOf(template: Template): Resources {
  return (template.toJSON() as { Resources: Resources }).Resources;
}

export function logicalIdStartingWith(template: Template, type: string, prefix: string): string {
  const id = Object.entries(resourcesOf(template)).find(
    ([key, resource]) => resource.Type === type && key.startsWith(prefix),
  )?.[0];
  if (id === undefined) throw new Error(`no ${type} starting with ${prefix}`);
  return id;
}

/**
 * Every identity policy of a role: its inline `Policies`, its customer managed policies of the template
 * (named by logical id) and each AWS::IAM::Policy attached to it.
 */
export function identityPoliciesOf(
  template: Template,
  roleLogicalId: string,
  resolution: Resolution,
): { name: string; policy: PolicyDocument }[] {
  const resources = resourcesOf(template);
  const role = resources[roleLogicalId];
  if (role === undefined) throw new Error(`no role ${roleLogicalId}`);
  const inline = (
    (role.Properties['Policies'] ?? []) as { PolicyName: string; PolicyDocument: unknown }[]
  ).map((p) => ({ name: p.PolicyName, document: p.PolicyDocument }));
  const managed = ((role.Properties['ManagedPolicyArns'] ?? []) as { Ref?: string }[]).map((arn) => {
    const policy = arn.Ref === undefined ? undefined : resources[arn.Ref];
    if (policy?.Type !== 'AWS::IAM::ManagedPolicy')
      throw new Error(`not in the template: ${JSON.stringify(arn)}`);
    return { name: arn.Ref as string, document: policy.Properties['PolicyDocument'] };
  });
  const attached = Object.values(resources)
    .filter(
      (r) =>
        r.Type === 'AWS::IAM::Policy' &&
        (r.Properties['Roles'] as { Ref: string }[]).some((ref) => ref.Ref === roleLogicalId),
    )
    .map((r) => ({ name: r.Properties['PolicyName'] as string, document: r.Properties['PolicyDocument'] }));
  return [...inline, ...managed, ...attached].map(({ name, document }) => ({
    name: typeof name === 'string' ? name : roleLogicalId,
    policy: resolveIntrinsics(document, resolution) as PolicyDocument,
  }));
}

export interface SimulatedRequest {
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly context?: Record<string, string | string[]>;
}

export type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

export async function simulate(
  request: SimulatedRequest,
  policies: {
    identity: { name: string; policy: PolicyDocument }[];
    resource?: PolicyDocument;
    account: string;
  },
): Promise<Decision> {
  const result = await runSimulation(
    {
      request: {
        principal: request.principal,
        action: request.action,
        resource: { resource: request.resource, accountId: policies.account },
        contextVariables: request.context ?? {},
      },
      identityPolicies: policies.identity,
      ...(policies.resource === undefined ? {} : { resourcePolicy: policies.resource }),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(JSON.stringify(result.errors));
  return result.overallResult;
}
