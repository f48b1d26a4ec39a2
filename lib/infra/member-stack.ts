import { BootstraplessSynthesizer, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { MemberConfig } from './credtrail-config';
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
    const ec2 = (resource: string) => `arn:${this.partition}:ec2:*:${account}:${resource}`;
    const role = (name: string) => `arn:${this.partition}:iam::${account}:role/${name}`;

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
                'ec2:DescribeVpcEndpoints',
              ],
              resources: ['*'],
            }),
          ],
        }),
      },
    });

    const responderTouchesNot = [
      role(config.memberReadRoleName),
      role(config.memberResponseRoleName),
      role(config.memberForwarderRoleName),
      role('aws-service-role/*'),
      ...config.protectedRoles.map(role),
    ];
    this.responseRole = new iam.Role(this, 'ResponseRole', {
      roleName: config.memberResponseRoleName,
      assumedBy: trusting(config.responderRoleName),
      description: 'credtrail: lets the central responder revoke, pin and quarantine in this account',
      inlinePolicies: {
        RespondToStolenCredentials: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              sid: 'ManageInlineRolePolicies',
              actions: [
                'iam:GetRole',
                'iam:GetRolePolicy',
                'iam:ListRolePolicies',
                'iam:PutRolePolicy',
                'iam:DeleteRolePolicy',
              ],
              resources: [role('*')],
            }),
            // An inline-policy writer could grant itself anything: it may never write on credtrail's own
            // roles, service-linked roles or the protected ones.
            new iam.PolicyStatement({
              sid: 'NeverTouchOwnOrProtectedRoles',
              effect: iam.Effect.DENY,
              actions: ['iam:PutRolePolicy', 'iam:DeleteRolePolicy'],
              resources: responderTouchesNot,
            }),
            new iam.PolicyStatement({
              sid: 'DescribeForPlanning',
              actions: [
                'ec2:DescribeInstances',
                'ec2:DescribeInstanceAttribute',
                'ec2:DescribeNetworkInterfaces',
                'ec2:DescribeSecurityGroups',
                'ec2:DescribeSecurityGroupRules',
                'ec2:DescribeIamInstanceProfileAssociations',
                'ec2:DescribeVolumes',
                'ec2:DescribeSnapshots',
                'ec2:DescribeVpcs',
                'ec2:DescribeSubnets',
                'ec2:DescribeNatGateways',
                'ec2:DescribeVpcEndpoints',
              ],
              resources: ['*'],
            }),
            new iam.PolicyStatement({
              sid: 'QuarantineInstance',
              actions: [
                'ec2:ModifyInstanceAttribute',
                'ec2:ModifyNetworkInterfaceAttribute',
                'ec2:DisassociateIamInstanceProfile',
                'ec2:AssociateIamInstanceProfile',
              ],
              resources: [ec2('instance/*'), ec2('network-interface/*'), ec2('security-group/*')],
            }),
            new iam.PolicyStatement({
              sid: 'IsolationSecurityGroups',
              actions: [
                'ec2:CreateSecurityGroup',
                'ec2:AuthorizeSecurityGroupIngress',
                'ec2:AuthorizeSecurityGroupEgress',
                'ec2:RevokeSecurityGroupIngress',
                'ec2:RevokeSecurityGroupEgress',
              ],
              resources: [ec2('security-group/*'), ec2('vpc/*'), ec2('security-group-rule/*')],
            }),
            new iam.PolicyStatement({
              sid: 'EvidenceAndTags',
              // DeleteTags: undo removes the quarantine tags it added.
              actions: ['ec2:CreateSnapshot', 'ec2:CreateTags', 'ec2:DeleteTags'],
              resources: [
                ec2('instance/*'),
                ec2('volume/*'),
                ec2('security-group/*'),
                ec2('network-interface/*'),
                `arn:${this.partition}:ec2:*::snapshot/*`,
              ],
            }),
            // Re-associating a removed instance profile (undo) passes its role to EC2, and only to EC2.
            new iam.PolicyStatement({
              sid: 'PassRoleBackToEc2OnUndo',
              actions: ['iam:PassRole'],
              resources: [role('*')],
              conditions: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
            }),
            new iam.PolicyStatement({
              sid: 'ReadInstanceProfiles',
              actions: ['iam:GetInstanceProfile'],
              resources: [`arn:${this.partition}:iam::${account}:instance-profile/*`],
            }),
          ],
        }),
      },
    });

    this.forwarderRole = addForwarderRole(this, {
      roleName: config.memberForwarderRoleName,
      centralAccountId: config.centralAccountId,
    });

    const describeReason =
      'EC2 Describe* actions support no resource-level permissions (Service Authorization Reference): Resource must be *.';
    acknowledge(this.readRole, 'AwsSolutions-IAM5[Resource::*]', describeReason);
    acknowledge(this.responseRole, 'AwsSolutions-IAM5[Resource::*]', describeReason);
    const anyResource =
      'The responder acts on whichever role, instance, interface or group a finding names: not known when the ' +
      'stack is deployed. Actions are listed one by one; own and protected roles are denied explicitly.';
    for (const wildcard of [
      `arn:<AWS::Partition>:iam::<AWS::AccountId>:role/*`,
      `arn:<AWS::Partition>:iam::<AWS::AccountId>:instance-profile/*`,
      `arn:<AWS::Partition>:ec2:*:<AWS::AccountId>:instance/*`,
      `arn:<AWS::Partition>:ec2:*:<AWS::AccountId>:network-interface/*`,
      `arn:<AWS::Partition>:ec2:*:<AWS::AccountId>:security-group/*`,
      `arn:<AWS::Partition>:ec2:*:<AWS::AccountId>:security-group-rule/*`,
      `arn:<AWS::Partition>:ec2:*:<AWS::AccountId>:vpc/*`,
      `arn:<AWS::Partition>:ec2:*:<AWS::AccountId>:volume/*`,
      `arn:<AWS::Partition>:ec2:*::snapshot/*`,
    ]) {
      acknowledge(this.responseRole, `AwsSolutions-IAM5[Resource::${wildcard}]`, anyResource);
    }
  }
}
