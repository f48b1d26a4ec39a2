import * as z from 'zod';
import { lazySchema } from '../contracts/lazy-schema';
import { ResponseActionSchema, ResponseModeSchema, StepStatusSchema } from '../contracts/response-event';
import { IncidentSchema } from './incident-schema';

/** A value of the form `ref:NAME`: the id returned by an earlier call of the same plan that declared `outputRef: NAME`. */
export const REF_PREFIX = 'ref:';

// Built on first use (lazySchema): a plan is parsed only when a step is recorded (enforce), an audit
// record read back (a resumed or repeated incident, undo) or an undo answered; a dry-run finding never is.
const IpPermissionSchema = lazySchema(() =>
  z.object({
    IpProtocol: z.string(),
    IpRanges: z.array(z.object({ CidrIp: z.string() })).optional(),
    Ipv6Ranges: z.array(z.object({ CidrIpv6: z.string() })).optional(),
  }),
);
export type IpPermission = z.infer<typeof IpPermissionSchema>;
const TagSchema = lazySchema(() => z.object({ Key: z.string(), Value: z.string() }));

/**
 * On a quarantine move: where the interface goes if any call of the step fails while it may sit in the
 * all-open transition group: the isolation group, else back to the groups it had.
 */
export const FailClosedSchema = lazySchema(() =>
  z.object({ isolation: z.array(z.string()), recorded: z.array(z.string()) }),
);
export type FailClosed = z.infer<typeof FailClosedSchema>;

/** Every mutating call the responder can make, with its exact input. */
export const ApiCallSchema = lazySchema(() =>
  z.discriminatedUnion('api', [
    z.object({
      api: z.literal('iam:PutRolePolicy'),
      input: z.object({ RoleName: z.string(), PolicyName: z.string(), PolicyDocument: z.string() }),
    }),
    z.object({
      api: z.literal('iam:DeleteRolePolicy'),
      input: z.object({ RoleName: z.string(), PolicyName: z.string() }),
    }),
    z.object({
      api: z.literal('ec2:CreateSecurityGroup'),
      input: z.object({
        GroupName: z.string(),
        Description: z.string(),
        VpcId: z.string(),
        Tags: z.array(TagSchema),
      }),
      outputRef: z.string(),
    }),
    z.object({
      api: z.literal('ec2:AuthorizeSecurityGroupIngress'),
      input: z.object({ GroupId: z.string(), IpPermissions: z.array(IpPermissionSchema) }),
    }),
    z.object({
      api: z.literal('ec2:AuthorizeSecurityGroupEgress'),
      input: z.object({ GroupId: z.string(), IpPermissions: z.array(IpPermissionSchema) }),
    }),
    z.object({
      api: z.literal('ec2:RevokeSecurityGroupEgress'),
      input: z.object({ GroupId: z.string(), IpPermissions: z.array(IpPermissionSchema) }),
    }),
    z.object({
      api: z.literal('ec2:ModifyNetworkInterfaceAttribute'),
      input: z.object({ NetworkInterfaceId: z.string(), Groups: z.array(z.string()) }),
      failClosed: FailClosedSchema.optional(),
    }),
    z.object({
      api: z.literal('ec2:ModifyInstanceAttribute'),
      input: z.object({ InstanceId: z.string(), DisableApiTermination: z.object({ Value: z.boolean() }) }),
    }),
    z.object({
      api: z.literal('ec2:CreateTags'),
      input: z.object({ Resources: z.array(z.string()), Tags: z.array(TagSchema) }),
    }),
    z.object({
      api: z.literal('ec2:DeleteTags'),
      input: z.object({ Resources: z.array(z.string()), Tags: z.array(TagSchema) }),
    }),
    z.object({
      api: z.literal('ec2:CreateSnapshot'),
      input: z.object({ VolumeId: z.string(), Description: z.string(), Tags: z.array(TagSchema) }),
    }),
    z.object({
      api: z.literal('ec2:DisassociateIamInstanceProfile'),
      input: z.object({ AssociationId: z.string() }),
    }),
    z.object({
      api: z.literal('iam:UpdateAccessKey'),
      // A status change only: credtrail never deletes a key (it is evidence, and undo re-activates it).
      input: z.object({
        UserName: z.string(),
        AccessKeyId: z.string(),
        Status: z.enum(['Active', 'Inactive']),
      }),
    }),
    z.object({
      api: z.literal('ec2:AssociateIamInstanceProfile'),
      input: z.object({ InstanceId: z.string(), IamInstanceProfile: z.object({ Arn: z.string() }) }),
    }),
  ]),
);
export type ApiCall = z.infer<typeof ApiCallSchema>;

export const RolePolicyPriorStateSchema = lazySchema(() =>
  z.object({
    kind: z.literal('role-policy'),
    roleName: z.string(),
    policyName: z.string(),
    /** The document the policy had before, or null when it did not exist (undo deletes it). */
    previousDocument: z.string().nullable(),
    /** False when the role's policies were not read (offline planning). */
    known: z.boolean(),
  }),
);

export const QuarantinePriorStateSchema = lazySchema(() =>
  z.object({
    kind: z.literal('instance'),
    instanceId: z.string(),
    interfaces: z.array(z.object({ networkInterfaceId: z.string(), groupIds: z.array(z.string()) })),
    /** null: not read, so undo leaves termination protection on. */
    terminationProtection: z.boolean().nullable(),
    profileAssociation: z.object({ associationId: z.string(), profileArn: z.string() }).nullable(),
  }),
);

export const AccessKeyPriorStateSchema = lazySchema(() =>
  z.object({
    kind: z.literal('access-key'),
    userName: z.string(),
    accessKeyId: z.string(),
    /** The key's status as ListAccessKeys said before the step; null when not read (offline). */
    previousStatus: z.enum(['Active', 'Inactive']).nullable(),
  }),
);

export const PriorStateSchema = lazySchema(() =>
  z.discriminatedUnion('kind', [
    RolePolicyPriorStateSchema,
    QuarantinePriorStateSchema,
    AccessKeyPriorStateSchema,
    z.object({ kind: z.literal('none') }),
  ]),
);
export type PriorState = z.infer<typeof PriorStateSchema>;

export const PlanStepSchema = lazySchema(() =>
  z.object({
    index: z.number().int().nonnegative(),
    action: ResponseActionSchema,
    status: StepStatusSchema,
    reason: z.string(),
    calls: z.array(ApiCallSchema),
    /** Set when the step acts in another account than the incident's (issue 17's chain). */
    accountId: z.string().optional(),
    priorState: PriorStateSchema,
    notes: z.array(z.string()),
  }),
);
export type PlanStep = z.infer<typeof PlanStepSchema>;

export const ResponsePlanSchema = lazySchema(() =>
  z.object({
    incident: IncidentSchema,
    mode: ResponseModeSchema,
    decision: z.enum(['respond', 'alert-only']),
    reasons: z.array(z.string()),
    plannedAt: z.string(),
    steps: z.array(PlanStepSchema),
  }),
);
export type ResponsePlan = z.infer<typeof ResponsePlanSchema>;

/** Steps that would change something if executed. */
export function actionableSteps(plan: ResponsePlan): PlanStep[] {
  return plan.steps.filter((step) => step.status === 'planned' && step.calls.length > 0);
}

/** Turns a plan into one that only alerts: every planned step is skipped with `reason`. */
export function downgradeToAlertOnly(plan: ResponsePlan, reason: string): ResponsePlan {
  return {
    ...plan,
    decision: 'alert-only',
    reasons: [...plan.reasons, reason],
    steps: plan.steps.map((step) =>
      step.status === 'planned' ? { ...step, status: 'skipped', reason } : step,
    ),
  };
}
