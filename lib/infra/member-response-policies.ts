import * as iam from 'aws-cdk-lib/aws-iam';
import {
  CREATED_BY_TAG_KEY,
  CREDTRAIL_ROLE_PATTERNS,
  CREDTRAIL_TAG_PATTERN,
  LANDING_ZONE_ROLE_PATTERNS,
  PROTECTED_TAG_KEY,
  QUARANTINE_TAG_KEY,
  UNTOUCHABLE_ROLE_PATHS,
} from './untouchable-roles';

/**
 * The member response role's permissions, one statement per purpose. Each Allow names the exact calls
 * of lib/responder (call-executor.ts, ec2-gateway.ts, iam-gateway.ts, state-reader.ts); the Denies hold
 * even if the responder itself is subverted. The member stack puts each Allow in its own policy so that
 * a cdk-nag acknowledgement covers that statement only; test/infra/member-response-policies.test.ts
 * pins every statement's actions and conditions, and test/infra/member-response-simulation.test.ts
 * evaluates the synthesized template with iam-simulate.
 */
export interface ResponsePolicyNames {
  readonly partition: string;
  readonly account: string;
  /** The four credtrail role names (central and member): the central account may be a member too. */
  readonly credtrailRoleNames: readonly string[];
  /** The operator's protected role name patterns (`protectedRoles`). */
  readonly protectedRoles: readonly string[];
}

export interface ResponseStatement {
  readonly statement: iam.PolicyStatement;
  /** Why the wildcard resources this statement needs are acceptable, for cdk-nag; none when it has none. */
  readonly wildcardReason?: string;
}

// EC2 Describe* calls support no resource-level permissions (Service Authorization Reference).
const DESCRIBE_CALLS = [
  'ec2:DescribeInstances',
  'ec2:DescribeInstanceAttribute',
  'ec2:DescribeIamInstanceProfileAssociations',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeNatGateways',
];
const ROLE_WRITES = ['iam:PutRolePolicy', 'iam:DeleteRolePolicy', 'iam:PassRole'];
const INSTANCE_WRITES = [
  'ec2:ModifyInstanceAttribute',
  'ec2:ModifyNetworkInterfaceAttribute',
  'ec2:AssociateIamInstanceProfile',
  'ec2:DisassociateIamInstanceProfile',
  'ec2:CreateTags',
  'ec2:DeleteTags',
  'ec2:CreateSnapshot',
];

const tagPresent = (key: string) => ({ Null: { [key]: 'false' } });

export function responseStatements(names: ResponsePolicyNames): {
  allows: Record<string, ResponseStatement>;
  /** The role fence, which grows with `protectedRoles`: a managed policy has its own size quota. */
  roleDenies: iam.PolicyStatement[];
  denies: iam.PolicyStatement[];
} {
  const { partition, account } = names;
  const iamArn = (resource: string) => `arn:${partition}:iam::${account}:${resource}`;
  const ec2 = (resource: string) => `arn:${partition}:ec2:*:${account}:${resource}`;
  const snapshots = `arn:${partition}:ec2:*::snapshot/*`;
  // A name pattern at the root and under any path: `*` in an ARN pattern also matches `/`.
  const atAnyPath = (pattern: string) => [iamArn(`role/${pattern}`), iamArn(`role/*/${pattern}`)];
  const untouchableRoles = [
    ...new Set([
      ...[...names.credtrailRoleNames, ...CREDTRAIL_ROLE_PATTERNS].flatMap(atAnyPath),
      ...LANDING_ZONE_ROLE_PATTERNS.flatMap(atAnyPath),
      ...UNTOUCHABLE_ROLE_PATHS.map((path) => iamArn(`role/${path}*`)),
      ...names.protectedRoles.flatMap(atAnyPath),
    ]),
  ];
  const allRoles = iamArn('role/*');
  const allUsers = iamArn('user/*');
  const statement = (sid: string, props: Omit<iam.PolicyStatementProps, 'sid'>) =>
    new iam.PolicyStatement({ sid, ...props });

  const everyRole =
    'The responder acts on whichever role a finding names, not known at deploy time; credtrail, landing-zone and protected roles are denied by name, path and tag (NeverTouch* statements).';
  const allows: Record<string, ResponseStatement> = {
    DescribeForPlanning: {
      statement: statement('DescribeForPlanning', { actions: DESCRIBE_CALLS, resources: ['*'] }),
      wildcardReason:
        'EC2 Describe* actions support no resource-level permissions (Service Authorization Reference): Resource must be *.',
    },
    ReadRoles: {
      statement: statement('ReadRoles', {
        actions: ['iam:GetRole', 'iam:GetRolePolicy', 'iam:ListRolePolicies', 'iam:ListRoleTags'],
        resources: [allRoles],
      }),
      wildcardReason: `Read-only. ${everyRole}`,
    },
    ReadInstanceProfiles: {
      statement: statement('ReadInstanceProfiles', {
        actions: ['iam:GetInstanceProfile'],
        resources: [iamArn('instance-profile/*')],
      }),
      wildcardReason:
        "Read-only: proof of instance reads the profile of the finding's instance, not known at deploy time.",
    },
    // Issue 17: GetUser (path) and ListUserTags (tags) decide whether the user of a created key is
    // protected before its deactivation is planned; ListAccessKeys reads the key's status.
    ReadAccessKeys: {
      statement: statement('ReadAccessKeys', {
        actions: ['iam:GetUser', 'iam:ListUserTags', 'iam:ListAccessKeys'],
        resources: [allUsers],
      }),
      wildcardReason:
        'Read-only: reads the user a finding names (path and tags decide its protection) and lists its access keys (keys a thief created), not known at deploy time.',
    },
    // IAM cannot constrain the document or the policy name of PutRolePolicy (no condition key for
    // either): the responder only ever writes Deny-only documents, and the Denies below fence the roles.
    WriteInlineRolePolicies: {
      statement: statement('WriteInlineRolePolicies', {
        actions: ['iam:PutRolePolicy', 'iam:DeleteRolePolicy'],
        resources: [allRoles],
      }),
      wildcardReason: `Revoke and pin put a Deny-only inline policy on the finding's role; undo removes it. ${everyRole}`,
    },
    DeactivateAccessKeys: {
      statement: statement('DeactivateAccessKeys', {
        actions: ['iam:UpdateAccessKey'],
        resources: [allUsers],
      }),
      wildcardReason:
        'Deactivates access keys a thief created on the user a finding names; never DeleteAccessKey; users tagged credtrail:protected are denied.',
    },
    CreateQuarantineGroups: {
      statement: statement('CreateQuarantineGroups', {
        actions: ['ec2:CreateSecurityGroup'],
        resources: [ec2('security-group/*')],
        conditions: tagPresent(`aws:RequestTag/${CREATED_BY_TAG_KEY}`),
      }),
      wildcardReason: `A new group has no id before it exists; it must carry the ${CREATED_BY_TAG_KEY} tag from creation.`,
    },
    CreateQuarantineGroupsInVpcs: {
      statement: statement('CreateQuarantineGroupsInVpcs', {
        actions: ['ec2:CreateSecurityGroup'],
        resources: [ec2('vpc/*')],
      }),
      wildcardReason:
        "The isolation group is created in the quarantined instance's VPC, not known at deploy time; creating a group changes no existing traffic.",
    },
    TagOnCreate: {
      statement: statement('TagOnCreate', {
        actions: ['ec2:CreateTags'],
        resources: [ec2('security-group/*'), snapshots],
        conditions: { StringEquals: { 'ec2:CreateAction': ['CreateSecurityGroup', 'CreateSnapshot'] } },
      }),
      wildcardReason:
        'Tags only while creating a group or a snapshot (ec2:CreateAction), whose ids do not exist before.',
    },
    WriteRulesOfOwnGroups: {
      statement: statement('WriteRulesOfOwnGroups', {
        actions: [
          'ec2:AuthorizeSecurityGroupIngress',
          'ec2:AuthorizeSecurityGroupEgress',
          'ec2:RevokeSecurityGroupEgress',
        ],
        resources: [ec2('security-group/*')],
        conditions: tagPresent(`aws:ResourceTag/${CREATED_BY_TAG_KEY}`),
      }),
      wildcardReason: `Only groups credtrail created (tag ${CREATED_BY_TAG_KEY}), whose ids are not known at deploy time.`,
    },
    MoveInterfacesBetweenGroups: {
      statement: statement('MoveInterfacesBetweenGroups', {
        actions: ['ec2:ModifyNetworkInterfaceAttribute'],
        resources: [ec2('network-interface/*'), ec2('security-group/*'), ec2('instance/*')],
      }),
      wildcardReason:
        "Quarantine moves the finding's instance interfaces into the isolation group; undo puts back the groups they had. Neither is known at deploy time.",
    },
    ProtectFromTermination: {
      statement: statement('ProtectFromTermination', {
        actions: ['ec2:ModifyInstanceAttribute'],
        resources: [ec2('instance/*')],
        conditions: { StringEquals: { 'ec2:Attribute': 'disableApiTermination' } },
      }),
      wildcardReason:
        "Only the disableApiTermination attribute (ec2:Attribute), of the finding's instance, not known at deploy time.",
    },
    TagQuarantinedInstances: {
      statement: statement('TagQuarantinedInstances', {
        actions: ['ec2:CreateTags', 'ec2:DeleteTags'],
        resources: [ec2('instance/*')],
        conditions: {
          'ForAllValues:StringLike': { 'aws:TagKeys': [CREDTRAIL_TAG_PATTERN] },
          ...tagPresent('aws:TagKeys'),
        },
      }),
      wildcardReason: `Only ${CREDTRAIL_TAG_PATTERN} tag keys (never ${PROTECTED_TAG_KEY}), on the finding's instance, not known at deploy time.`,
    },
    SnapshotEvidence: {
      statement: statement('SnapshotEvidence', {
        actions: ['ec2:CreateSnapshot'],
        resources: [ec2('volume/*')],
      }),
      wildcardReason:
        "Evidence snapshots of the quarantined instance's volumes, not known at deploy time; a snapshot changes nothing on the volume.",
    },
    CreateTaggedSnapshots: {
      statement: statement('CreateTaggedSnapshots', {
        actions: ['ec2:CreateSnapshot'],
        resources: [snapshots],
        conditions: tagPresent(`aws:RequestTag/${QUARANTINE_TAG_KEY}`),
      }),
      wildcardReason: `A new snapshot has no id before it exists; it must carry the ${QUARANTINE_TAG_KEY} tag from creation.`,
    },
    SwapProfileOfQuarantinedInstances: {
      statement: statement('SwapProfileOfQuarantinedInstances', {
        actions: ['ec2:DisassociateIamInstanceProfile', 'ec2:AssociateIamInstanceProfile'],
        resources: [ec2('instance/*')],
        conditions: tagPresent(`aws:ResourceTag/${QUARANTINE_TAG_KEY}`),
      }),
      wildcardReason: `Only on an instance credtrail quarantined (tag ${QUARANTINE_TAG_KEY}): quarantine removes its profile, undo restores the recorded one.`,
    },
    PassRecordedRoleBackToInstance: {
      statement: statement('PassRecordedRoleBackToInstance', {
        actions: ['iam:PassRole'],
        resources: [allRoles],
        conditions: {
          StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' },
          ArnLike: { 'iam:AssociatedResourceArn': ec2('instance/*') },
        },
      }),
      wildcardReason: `Undo re-associates the recorded instance profile, passing its role to EC2 instances of this account only. ${everyRole}`,
    },
  };

  const roleDenies = [
    statement('NeverTouchCredtrailLandingZoneOrProtectedRoles', {
      effect: iam.Effect.DENY,
      actions: ROLE_WRITES,
      resources: untouchableRoles,
    }),
    statement('NeverTouchRolesTaggedProtected', {
      effect: iam.Effect.DENY,
      actions: ROLE_WRITES,
      resources: [allRoles],
      conditions: tagPresent(`aws:ResourceTag/${PROTECTED_TAG_KEY}`),
    }),
  ];
  const denies = [
    // Users are protected by tag: `protectedRoles` names roles.
    statement('NeverTouchUsersTaggedProtected', {
      effect: iam.Effect.DENY,
      actions: ['iam:UpdateAccessKey'],
      resources: [allUsers],
      conditions: tagPresent(`aws:ResourceTag/${PROTECTED_TAG_KEY}`),
    }),
    statement('NeverCreateOrDeleteAccessKeys', {
      effect: iam.Effect.DENY,
      actions: ['iam:CreateAccessKey', 'iam:DeleteAccessKey'],
      resources: ['*'],
    }),
    statement('NeverTouchInstancesTaggedProtected', {
      effect: iam.Effect.DENY,
      actions: INSTANCE_WRITES,
      resources: [ec2('instance/*'), ec2('network-interface/*'), ec2('volume/*')],
      conditions: tagPresent(`aws:ResourceTag/${PROTECTED_TAG_KEY}`),
    }),
    statement('NeverWriteTheProtectionTag', {
      effect: iam.Effect.DENY,
      actions: ['ec2:CreateTags', 'ec2:DeleteTags'],
      resources: ['*'],
      conditions: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': [PROTECTED_TAG_KEY] } },
    }),
    // DeleteTags without tag keys deletes every tag of the resource, credtrail:protected included.
    statement('NeverDeleteAllTags', {
      effect: iam.Effect.DENY,
      actions: ['ec2:DeleteTags'],
      resources: ['*'],
      conditions: { Null: { 'aws:TagKeys': 'true' } },
    }),
  ];
  return { allows, roleDenies, denies };
}
