import * as z from 'zod';
import { lazySchema } from '../contracts/lazy-schema';

/** One object a queue message points at. */
export interface S3ObjectRef {
  readonly bucket: string;
  readonly key: string;
}

/**
 * A call forwarded by a member account's real-time rule (EventBridge "AWS API Call via CloudTrail",
 * through the central bus and the real-time queue): the record itself, no file to read.
 */
export interface ForwardedCall {
  readonly eventId: string;
  readonly record: unknown;
}

// Each message format's schema is built on first use (lazySchema): a deployment's queues carry one or two
// of these formats, and a message builds only the ones tried before its own.
// Only AWS can send events whose source starts with `aws.` (the member rule cannot make one up).
const ForwardedCallSchema = lazySchema(() =>
  z.object({
    source: z.string().startsWith('aws.'),
    'detail-type': z.literal('AWS API Call via CloudTrail'),
    detail: z.object({ eventID: z.string().min(1) }).loose(),
  }),
);

/** The forwarded call a queue message holds, or null when the message is a file notice. */
export function parseForwardedCall(body: string): ForwardedCall | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  const call = ForwardedCallSchema.safeParse(parsed);
  return call.success ? { eventId: call.data.detail.eventID, record: parsed } : null;
}

export class UnrecognisedMessageError extends Error {
  constructor(detail: string) {
    super(`queue message is not an S3 event or a CloudTrail notification: ${detail}`);
    this.name = 'UnrecognisedMessageError';
  }
}

// S3 event notification: https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
const S3EventSchema = lazySchema(() =>
  z.object({
    Records: z.array(
      z.object({
        eventSource: z.literal('aws:s3'),
        eventName: z.string(),
        s3: z.object({
          bucket: z.object({ name: z.string().min(1) }),
          object: z.object({ key: z.string().min(1) }),
        }),
      }),
    ),
  }),
);

// The test event S3 sends once when a notification is configured; it names no object.
const S3TestEventSchema = lazySchema(() => z.object({ Event: z.literal('s3:TestEvent') }));

// CloudTrail's own notice: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/configure-sns-notifications-for-cloudtrail.html
const CloudTrailNoticeSchema = lazySchema(() =>
  z.object({
    s3Bucket: z.string().min(1),
    s3ObjectKey: z.array(z.string().min(1)),
  }),
);

// S3 "Object Created" through EventBridge, for a queue fed by a rule instead of a notification.
const EventBridgeObjectCreatedSchema = lazySchema(() =>
  z.object({
    source: z.literal('aws.s3'),
    'detail-type': z.literal('Object Created'),
    detail: z.object({
      bucket: z.object({ name: z.string().min(1) }),
      object: z.object({ key: z.string().min(1) }),
    }),
  }),
);

// SNS wraps the message in an envelope unless the subscription has raw message delivery on.
const SnsEnvelopeSchema = lazySchema(() =>
  z.object({ Type: z.literal('Notification'), Message: z.string() }),
);

/**
 * The S3 objects an SQS message body points at. Accepts an S3 event notification, CloudTrail's SNS
 * notice (which may list several files) or an EventBridge "Object Created" event, each raw or inside an
 * SNS envelope.
 */
export function parseQueueMessage(body: string): S3ObjectRef[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new UnrecognisedMessageError('not JSON');
  }
  const envelope = SnsEnvelopeSchema.safeParse(parsed);
  if (envelope.success) return parseQueueMessage(envelope.data.Message);

  const s3Event = S3EventSchema.safeParse(parsed);
  if (s3Event.success) {
    return s3Event.data.Records.filter((record) => record.eventName.startsWith('ObjectCreated:')).map(
      (record) => ({
        bucket: record.s3.bucket.name,
        key: decodeS3Key(record.s3.object.key),
      }),
    );
  }
  const notice = CloudTrailNoticeSchema.safeParse(parsed);
  if (notice.success) return notice.data.s3ObjectKey.map((key) => ({ bucket: notice.data.s3Bucket, key }));
  const bridged = EventBridgeObjectCreatedSchema.safeParse(parsed);
  if (bridged.success)
    return [{ bucket: bridged.data.detail.bucket.name, key: bridged.data.detail.object.key }];
  if (S3TestEventSchema.safeParse(parsed).success) return [];
  throw new UnrecognisedMessageError(`keys ${describeKeys(parsed)}`);
}

/** S3 event notifications URL-encode the key, with `+` for a space; the other shapes do not. */
function decodeS3Key(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

function describeKeys(value: unknown): string {
  if (typeof value !== 'object' || value === null) return typeof value;
  return Object.keys(value).slice(0, 5).join(', ') || '(none)';
}
