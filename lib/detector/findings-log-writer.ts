import {
  CreateLogStreamCommand,
  PutLogEventsCommand,
  ResourceAlreadyExistsException,
  type CloudWatchLogsClient,
} from '@aws-sdk/client-cloudwatch-logs';
import { BoundedMap } from '../engine/bounded-map';
import type { FindingAnnouncement } from './findings-publisher';

const WRITTEN_MEMORY = 10_000;

/**
 * Writes every finding announced to a CloudWatch Logs group, one JSON line each, for the SIEM. One
 * stream per container (created on first use), unlike the SAM app's new stream per alert.
 *
 * Announcements are at least once (a retry, the sweep), so the writer skips one it already wrote from
 * this container (same finding, kind and count); across containers a SIEM dedupes by `findingId`.
 */
export class FindingsLogWriter {
  private streamReady?: Promise<void>;
  private readonly written = new BoundedMap<string, true>(WRITTEN_MEMORY);

  constructor(
    private readonly logs: CloudWatchLogsClient,
    private readonly logGroupName: string,
    private readonly logStreamName: string,
    private readonly clock: () => number,
  ) {}

  async write(announcements: readonly FindingAnnouncement[]): Promise<void> {
    const fresh = announcements.filter((a) => !this.written.has(writtenKey(a)));
    if (fresh.length === 0) return;
    await this.ensureStream();
    const timestamp = this.clock();
    await this.logs.send(
      new PutLogEventsCommand({
        logGroupName: this.logGroupName,
        logStreamName: this.logStreamName,
        logEvents: fresh.map(({ kind, detail }) => ({
          timestamp,
          message: JSON.stringify({ kind: kind === 'new' ? 'finding' : 'finding-update', ...detail }),
        })),
      }),
    );
    for (const announcement of fresh) this.written.set(writtenKey(announcement), true);
  }

  private ensureStream(): Promise<void> {
    this.streamReady ??= this.logs
      .send(
        new CreateLogStreamCommand({ logGroupName: this.logGroupName, logStreamName: this.logStreamName }),
      )
      .then(
        () => undefined,
        (error: unknown) => {
          if (error instanceof ResourceAlreadyExistsException) return;
          this.streamReady = undefined;
          throw error;
        },
      );
    return this.streamReady;
  }
}

function writtenKey({ kind, detail }: FindingAnnouncement): string {
  return `${kind}|${detail.findingId}|${detail.eventCount}`;
}
