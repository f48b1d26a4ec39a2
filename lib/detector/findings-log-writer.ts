import {
  CreateLogStreamCommand,
  PutLogEventsCommand,
  ResourceAlreadyExistsException,
  type CloudWatchLogsClient,
} from '@aws-sdk/client-cloudwatch-logs';
import type { FindingAnnouncement } from './findings-publisher';

/**
 * Writes every finding announced to a CloudWatch Logs group, one JSON line each, for the SIEM. One
 * stream per container (created on first use), unlike the SAM app's new stream per alert.
 */
export class FindingsLogWriter {
  private streamReady?: Promise<void>;

  constructor(
    private readonly logs: CloudWatchLogsClient,
    private readonly logGroupName: string,
    private readonly logStreamName: string,
    private readonly clock: () => number,
  ) {}

  async write(announcements: readonly FindingAnnouncement[]): Promise<void> {
    if (announcements.length === 0) return;
    await this.ensureStream();
    const timestamp = this.clock();
    await this.logs.send(
      new PutLogEventsCommand({
        logGroupName: this.logGroupName,
        logStreamName: this.logStreamName,
        logEvents: announcements.map(({ kind, detail }) => ({
          timestamp,
          message: JSON.stringify({ kind: kind === 'new' ? 'finding' : 'finding-update', ...detail }),
        })),
      }),
    );
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
