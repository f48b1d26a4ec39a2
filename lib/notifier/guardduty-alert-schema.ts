import * as z from 'zod';
import { lazySchema } from '../contracts/lazy-schema';

/**
 * What the notifier reads from a GuardDuty finding: more than the responder needs (counts, API names,
 * geography) and far more lenient, because an email with a blank field beats no email. Only the finding
 * id and type are required. Shapes after GuardDuty's GetFindings response syntax and the samples in
 * test/fixtures/events/.
 */
// Built on first use (lazySchema): most events the notifier gets are credtrail findings and responses.
const RemoteIpDetailsSchema = lazySchema(() =>
  z
    .object({
      ipAddressV4: z.string().optional(),
      ipAddressV6: z.string().optional(),
      country: z.object({ countryName: z.string().optional() }).loose().optional(),
      city: z.object({ cityName: z.string().optional() }).loose().optional(),
      organization: z
        .object({ asnOrg: z.string().optional(), isp: z.string().optional() })
        .loose()
        .optional(),
    })
    .loose(),
);

export const GuardDutyAlertDetailSchema = lazySchema(() =>
  z
    .object({
      id: z.string().min(1),
      type: z.string().min(1),
      severity: z.number().optional(),
      accountId: z.string().optional(),
      region: z.string().optional(),
      title: z.string().optional(),
      description: z.string().optional(),
      resource: z
        .object({
          accessKeyDetails: z
            .object({
              accessKeyId: z.string().optional(),
              principalId: z.string().optional(),
              userName: z.string().optional(),
            })
            .loose()
            .optional(),
          instanceDetails: z
            .object({
              instanceId: z.string().optional(),
              networkInterfaces: z
                .array(
                  z
                    .object({
                      vpcId: z.string().optional(),
                      subnetId: z.string().optional(),
                      privateIpAddress: z.string().optional(),
                      publicIp: z.string().optional(),
                    })
                    .loose(),
                )
                .optional(),
              tags: z.array(z.object({ key: z.string(), value: z.string() }).loose()).optional(),
            })
            .loose()
            .optional(),
        })
        .loose()
        .optional(),
      service: z
        .object({
          action: z
            .object({
              awsApiCallAction: z
                .object({
                  api: z.string().optional(),
                  serviceName: z.string().optional(),
                  userAgent: z.string().optional(),
                  remoteIpDetails: RemoteIpDetailsSchema.optional(),
                  remoteAccountDetails: z
                    .object({ accountId: z.string().optional(), affiliated: z.boolean().optional() })
                    .loose()
                    .optional(),
                })
                .loose()
                .optional(),
            })
            .loose()
            .optional(),
          additionalInfo: z.object({ sample: z.boolean().optional() }).loose().optional(),
          eventFirstSeen: z.string().optional(),
          eventLastSeen: z.string().optional(),
          count: z.number().optional(),
        })
        .loose()
        .optional(),
    })
    .loose(),
);
export type GuardDutyAlertDetail = z.infer<typeof GuardDutyAlertDetailSchema>;
