import type { ResponseMode } from '../contracts/response-event';

/** Base of the responder's lifecycle errors; every one keeps the `cause` it wraps. */
export class ResponderError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ResponderError';
  }
}

/**
 * This attempt could not finish, but a later one may (throttling, a member role not yet trusted,
 * AWS unreadable, a publish or audit write that failed). Thrown out of the Lambda so EventBridge /
 * Lambda retry it; the audit trail keeps nothing that would make the retry a duplicate.
 */
export class RetryableResponseError extends ResponderError {
  constructor(
    readonly incidentId: string,
    readonly mode: ResponseMode,
    readonly attempt: number,
    readonly stage: ResponseStage,
    cause: unknown,
  ) {
    super(
      `response to ${incidentId} (${mode}) not finished at attempt ${attempt}: ${stage}: ${describeError(cause)}`,
      {
        cause,
      },
    );
    this.name = 'RetryableResponseError';
  }
}

/**
 * The response is failed(final): attempts are exhausted or the failure cannot heal by itself. It was
 * recorded, announced (emailed) where AWS allowed it, and is thrown so the Lambda's on-failure
 * destination receives the event. `outcome` is what the CLI prints.
 */
export class ResponseFailedError extends ResponderError {
  constructor(
    readonly incidentId: string,
    readonly mode: ResponseMode,
    readonly attempts: number,
    readonly reason: string,
    readonly outcome: unknown,
    options?: ErrorOptions,
  ) {
    super(`response to ${incidentId} (${mode}) failed after ${attempts} attempt(s): ${reason}`, options);
    this.name = 'ResponseFailedError';
  }
}

export class OfflineEnforceError extends ResponderError {
  constructor() {
    super('an offline plan cannot be enforced: the state it would replace was not read');
    this.name = 'OfflineEnforceError';
  }
}

/** Where in the lifecycle an attempt stopped: said in logs, emails and errors. */
export type ResponseStage =
  | 'reading the audit trail'
  | 'reading the current state'
  | 'recording the plan'
  | 'announcing the plan'
  | 'announcing a step result'
  | 'assuming the member role'
  | 'checking the rate limit'
  | 'executing a step'
  | 'recording a step'
  | 'recording the outcome'
  | 'carrying out the response';

/** An error at some lifecycle stage, typed, instead of a status decided by matching message text. */
export class StageError extends ResponderError {
  constructor(
    readonly stage: ResponseStage,
    cause: unknown,
  ) {
    super(`${stage}: ${describeError(cause)}`, { cause });
    this.name = 'StageError';
  }
}

export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

// Error names the SDKs give throttling and server-side trouble (IAM, EC2, STS, DynamoDB, EventBridge);
// the SDK's own retries already ran, so these mean "try again later", not "this can never work".
const TRANSIENT_NAMES = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
  'ConcurrentModification',
  'ConcurrentModificationException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'ServiceFailure',
  'InternalError',
  'InternalFailure',
  'InternalServerError',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'Unavailable',
]);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND']);

/**
 * Whether a failed mutating call may succeed if tried again later. Refusals (AccessDenied,
 * UnauthorizedOperation), invalid input and missing resources are not: retrying them only delays the
 * email. Reading and bookkeeping failures are always retried (bounded), whatever they are.
 */
export function isTransientCallError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const details = error as {
    name?: unknown;
    code?: unknown;
    $retryable?: unknown;
    $fault?: unknown;
    $metadata?: { httpStatusCode?: unknown };
  };
  if (typeof details.name === 'string' && TRANSIENT_NAMES.has(details.name)) return true;
  if (typeof details.code === 'string' && NETWORK_CODES.has(details.code)) return true;
  if (details.$retryable !== undefined && details.$retryable !== null) return true;
  if (details.$fault === 'server') return true;
  const status = details.$metadata?.httpStatusCode;
  return typeof status === 'number' && status >= 500;
}
