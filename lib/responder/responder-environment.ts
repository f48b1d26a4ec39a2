import * as z from 'zod';

/**
 * The responder Lambda's environment, shared by the handler (validated at cold start) and the CDK
 * construct (typed `environment`). The response configuration itself is one JSON document.
 */
export const ResponderEnvironmentSchema = z.object({
  EVENT_BUS_NAME: z.string().min(1),
  AUDIT_TABLE_NAME: z.string().min(1),
  IDEMPOTENCY_TABLE_NAME: z.string().min(1),
  /** Role the responder assumes in member accounts for IAM/EC2 actions (same name in every account). */
  MEMBER_RESPONSE_ROLE_NAME: z.string().min(1),
  /** JSON of the responder configuration (mode, actions per severity, protected roles, rate limit). */
  RESPONSE_CONFIG: z.string().min(2),
});
export type ResponderEnvironment = z.infer<typeof ResponderEnvironmentSchema>;
