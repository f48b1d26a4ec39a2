import * as z from 'zod';

/**
 * The notifier Lambda's environment: validated at cold start by the handler and typing the CDK
 * construct's `environment`, so a variable the stack forgets fails to compile.
 */
export const NotifierEnvironmentSchema = z.object({
  /** The KMS-encrypted SNS topic on-call subscribes to. */
  ALERT_TOPIC_ARN: z.string().min(1),
  /** Where the notifier records which findings it already emailed (the idempotency table, key `id`). */
  ALERT_LEDGER_TABLE_NAME: z.string().min(1),
  /** The responder's configuration (JSON), so a finding's email can say what credtrail does about it. */
  RESPONSE_CONFIG: z.string().min(2),
  /** The responder rule's numeric threshold: findings below it are alert-only. */
  RESPONDER_SEVERITY_THRESHOLD: z
    .string()
    .regex(/^\d+(\.\d+)?$/)
    .transform(Number),
});
export type NotifierEnvironment = z.infer<typeof NotifierEnvironmentSchema>;
