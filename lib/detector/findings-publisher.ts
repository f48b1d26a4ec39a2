import {
  PutEventsCommand,
  type EventBridgeClient,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import {
  FINDING_DETAIL_TYPE,
  FINDING_SOURCE,
  FINDING_UPDATE_DETAIL_TYPE,
  type FindingDetail,
} from '../contracts/finding-event';

export type FindingAnnouncement = { readonly kind: 'new' | 'update'; readonly detail: FindingDetail };

export class PublishFailedError extends Error {
  constructor(
    readonly failed: number,
    detail: string,
  ) {
    super(`${failed} finding events could not be put on the bus after retries: ${detail}`);
    this.name = 'PublishFailedError';
  }
}

export interface FindingsPublisherOptions {
  readonly eventBridge: EventBridgeClient;
  readonly busName: string;
  readonly attempts?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

// PutEvents takes at most 10 entries per call.
const ENTRIES_PER_CALL = 10;

/** Puts findings on the credtrail bus; retries only the entries PutEvents reports as failed. */
export class FindingsPublisher {
  private readonly attempts: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: FindingsPublisherOptions) {
    this.attempts = options.attempts ?? 4;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async publish(announcements: readonly FindingAnnouncement[]): Promise<void> {
    const entries = announcements.map(({ kind, detail }): PutEventsRequestEntry => ({
      EventBusName: this.options.busName,
      Source: FINDING_SOURCE,
      DetailType: kind === 'new' ? FINDING_DETAIL_TYPE : FINDING_UPDATE_DETAIL_TYPE,
      Detail: JSON.stringify(detail),
      Resources: [detail.roleArn],
    }));
    for (let start = 0; start < entries.length; start += ENTRIES_PER_CALL) {
      await this.putWithRetry(entries.slice(start, start + ENTRIES_PER_CALL));
    }
  }

  private async putWithRetry(entries: PutEventsRequestEntry[]): Promise<void> {
    let pending = entries;
    let lastError = '';
    for (let attempt = 0; attempt < this.attempts; attempt++) {
      // Exponential backoff with full jitter: https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
      if (attempt > 0) await this.sleep(Math.random() * 100 * 2 ** attempt);
      const output = await this.options.eventBridge.send(new PutEventsCommand({ Entries: pending }));
      if ((output.FailedEntryCount ?? 0) === 0) return;
      // Result entries line up with request entries; a failed one carries an ErrorCode.
      const results = output.Entries ?? [];
      const failed = pending.filter(
        (_, index) => results[index]?.ErrorCode !== undefined || results[index] === undefined,
      );
      lastError = [...new Set(results.flatMap((r) => (r.ErrorCode === undefined ? [] : [r.ErrorCode])))].join(
        ', ',
      );
      pending = failed;
      if (pending.length === 0) return;
    }
    throw new PublishFailedError(pending.length, lastError || 'unknown error');
  }
}
