import * as z from 'zod';

/**
 * The detector Lambda's environment. Validated at cold start by the handler and used by the CDK
 * construct to type the `environment` it sets, so a missing variable fails to compile.
 */
export const DetectorEnvironmentSchema = z.object({
  STATE_TABLE_NAME: z.string().min(1),
  EXCEPTIONS_TABLE_NAME: z.string().min(1),
  EVENT_BUS_NAME: z.string().min(1),
  FINDINGS_LOG_GROUP_NAME: z.string().min(1),
  /** Role the detector assumes in member accounts for EC2 Describe* (same name in every account). */
  MEMBER_READ_ROLE_NAME: z.string().min(1),
  /** Comma-separated account ids whose VPC endpoints are affiliated rather than foreign. */
  TRUSTED_ACCOUNTS: z.string().default(''),
  /**
   * Comma-separated regions to look for an instance in when neither EC2's delivery record nor its calls
   * say where it runs; empty means the Lambda's own region.
   */
  INSTANCE_REGIONS: z.string().default(''),
  /** How long a warm Lambda keeps the exceptions table before reading it again. */
  EXCEPTIONS_CACHE_SECONDS: z.coerce.number().int().positive().default(300),
});
export type DetectorEnvironment = z.infer<typeof DetectorEnvironmentSchema>;
