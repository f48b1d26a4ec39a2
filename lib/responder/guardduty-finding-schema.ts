import * as z from 'zod';
import { lazySchema } from '../contracts/lazy-schema';

/**
 * The part of a GuardDuty finding the responder reads, after GuardDuty's API reference (GetFindings
 * response syntax) and the EventBridge samples in test/fixtures/guardduty. Powertools' parser ships no
 * GuardDuty schema. Unknown fields pass through; fields we rely on are required.
 */
export const GUARDDUTY_SOURCE = 'aws.guardduty';
export const GUARDDUTY_DETAIL_TYPE = 'GuardDuty Finding';
/** Both finding types since GuardDuty split the original name; matched by prefix, never exactly. */
export const GUARDDUTY_TYPE_PREFIX = 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.';
export const GUARDDUTY_TYPES = [
  `${GUARDDUTY_TYPE_PREFIX}OutsideAWS`,
  `${GUARDDUTY_TYPE_PREFIX}InsideAWS`,
] as const;

// Built on first use (lazySchema): an event is a GuardDuty finding or a credtrail one, never both.
const NetworkInterfaceSchema = lazySchema(() =>
  z.object({
    networkInterfaceId: z.string().optional(),
    vpcId: z.string().optional(),
    publicIp: z.string().optional(),
    ipv6Addresses: z.array(z.string()).optional(),
  }),
);

export const GuardDutyFindingDetailSchema = lazySchema(() =>
  z.object({
    accountId: z.string(),
    region: z.string(),
    partition: z.string().default('aws'),
    id: z.string().min(1),
    type: z.enum(GUARDDUTY_TYPES),
    severity: z.number(),
    resource: z.object({
      accessKeyDetails: z.object({
        accessKeyId: z.string().min(1),
        principalId: z.string(),
        userType: z.string(),
        userName: z.string().min(1),
      }),
      instanceDetails: z
        .object({
          instanceId: z.string().optional(),
          networkInterfaces: z.array(NetworkInterfaceSchema).optional(),
        })
        .optional(),
    }),
    service: z.object({
      action: z.object({
        awsApiCallAction: z.object({
          remoteIpDetails: z
            .object({ ipAddressV4: z.string().optional(), ipAddressV6: z.string().optional() })
            .optional(),
          remoteAccountDetails: z.object({ accountId: z.string(), affiliated: z.boolean() }).optional(),
        }),
      }),
      additionalInfo: z
        .object({ value: z.string().optional(), sample: z.boolean().optional() })
        .loose()
        .optional(),
      eventFirstSeen: z.string().optional(),
      eventLastSeen: z.string().optional(),
    }),
  }),
);
export type GuardDutyFindingDetail = z.infer<typeof GuardDutyFindingDetailSchema>;
