import { BootstraplessSynthesizer, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { MemberConfig } from './credtrail-config';
import { responseStatements } from './member-response-policies';
import { acknowledge } from './nag-gate';
import { addForwarderRole } from './realtime-path';

export interface MemberStackProps extends StackProps {
  readonly config: MemberConfig;
}

/**
 * Deployed in every account credtrail watches (StackSets, or directly; the central account needs it too
 * when its own instances are watched). No assets and no bootstrap: the template stands alone. Each role
 * trusts one central role, by ARN; neither can be assumed by anything else in the central account.
 */
export class MemberStack extends Stack {
  readonly readRole: iam.Role;
  readonly responseRole: iam.Role;
  readonly forwarderRole: iam.Role;

  constructor(scope: Construct, id: string, props: MemberStackProps) {
    super(scope, id, { synthesizer: new BootstraplessSynthesizer(), ...props });
    const { config } = props;
    const centralRole = (name: string) =>
      `arn:${this.partition}:iam::${config.centralAccountId}:role/${name}`;
    // Trust the central account, narrowed to one role ARN by condition: unlike a role principal, this
    // survives the central role being re-created (a principal is pinned to the role's unique id).
    const trusting = (roleName: string) =>
      new iam.AccountPrincipal(config.centralAccountId).withConditions({
        ArnEquals: { 'aws:PrincipalArn': centralRole(roleName) },
      });
    const account = this.account;

    this.readRole = new iam.Role(this, 'ReadRole', {
      roleName: config.memberReadRoleName,
      assumedBy: trusting(config.detectorRoleName),
      description:
        "credtrail: lets the central detector read this account's instance networks (EC2 Describe*)",
      inlinePolicies: {
        DescribeInstanceNetworks: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              sid: 'DescribeInstanceNetworks',
              actions: [
                'ec2:DescribeInstances',
                'ec2:DescribeNetworkInterfaces',
                'ec2:DescribeNatGateways',
                // A VPC's endpoints, and the VPC of an endpoint a call names (exceptions tied to a vpcId).
                'ec2:DescribeVpcEndpoints',
                // The network as routed: a subnet's default route, and the VPCs on its Transit Gateway.
                'ec2:DescribeRouteTables',
                'ec2:DescribeTransitGatewayAttachments',
              ],
              resources: ['*'],
            }),
          ],
        }),
      },
    });

    const { allows, roleDenies, denies } = responseStatements({
      partition: this.partition,
      account,
      credtrailRoleNames: [
        config.detectorRoleName,
        config.responderRoleName,
        config.memberReadRoleName,
        config.memberResponseRoleName,
        config.memberForwarderRoleName,
      ],
      protectedRoles: config.protectedRoles,
    });
    // The Denies come with the role itself (the role fence as a managed policy: its own 6,144-character
    // quota, apart from the 10,240 shared by inline policies), in place before any Allow is attached.
    const roleFence = new iam.ManagedPolicy(this, 'ResponseRoleFence', {
      description:
        'credtrail: the roles the member response role may never write on or pass (credtrail, landing zone, protected)',
      document: new iam.PolicyDocument({ statements: roleDenies }),
    });
    this.responseRole = new iam.Role(this, 'ResponseRole', {
      roleName: config.memberResponseRoleName,
      assumedBy: trusting(config.responderRoleName),
      description: 'credtrail: lets the central responder revoke, pin and quarantine in this account',
      managedPolicies: [roleFence],
      inlinePolicies: { NeverTouch: new iam.PolicyDocument({ statements: denies }) },
    });

    this.forwarderRole = addForwarderRole(this, {
      roleName: config.memberForwarderRoleName,
      centralAccountId: config.centralAccountId,
    });

    // One policy per Allow statement: each cdk-nag acknowledgement below covers that statement alone.
    for (const [sid, { statement, wildcardReason }] of Object.entries(allows)) {
      const policy = new iam.Policy(this, `Response${sid}`, {
        policyName: sid,
        roles: [this.responseRole],
        document: new iam.PolicyDocument({ statements: [statement] }),
      });
      if (wildcardReason === undefined) continue;
      for (const resource of statement.resources.filter((r) => r.includes('*'))) {
        acknowledge(policy, `AwsSolutions-IAM5[Resource::${nagResource(this, resource)}]`, wildcardReason);
      }
    }

    acknowledge(
      this.readRole,
      'AwsSolutions-IAM5[Resource::*]',
      'EC2 Describe* actions support no resource-level permissions (Service Authorization Reference): Resource must be *.',
    );
  }
}

/**
 * A resource as cdk-nag names it in a finding id: `Fn::Join` flattened, `{ Ref: X }` written `<X>`
 * (e.g. `arn:<AWS::Partition>:iam::<AWS::AccountId>:role/*`).
 */
function nagResource(stack: Stack, resource: string): string {
  const render = (value: unknown): string => {
    if (typeof value === 'string') return value;
    const object = value as { Ref?: string; 'Fn::Join'?: [string, unknown[]] };
    if (object.Ref !== undefined) return `<${object.Ref}>`;
    const join = object['Fn::Join'];
    if (join !== undefined) return join[1].map(render).join(join[0]);
    throw new Error(`cannot name ${JSON.stringify(value)} for cdk-nag`);
  };
  return render(stack.resolve(resource));
}
