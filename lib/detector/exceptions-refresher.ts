import type { Logger } from '@aws-lambda-powertools/logger';
import { ExceptionList, exceptionWarnings, type EndpointVpcs } from '../engine/credential-exception';
import type { LoadedExceptions } from '../state/exceptions-table';

/**
 * The exceptions table, re-read at most every `ttlMs`. Returns a new list only when the content
 * changed, because swapping it drops the engine's cached verdicts.
 */
export class ExceptionsRefresher {
  private fingerprint?: string;
  private readAt = -Infinity;

  constructor(
    private readonly table: { load(): Promise<LoadedExceptions> },
    private readonly ttlMs: number,
    private readonly clock: () => number,
    private readonly logger: Logger,
    /** The endpoints' VPCs for entries tied to a `vpcId` (Ec2EndpointVpcs in the Lambda). */
    private readonly endpointVpcs?: EndpointVpcs,
  ) {}

  async refresh(): Promise<ExceptionList | undefined> {
    const now = this.clock();
    if (now - this.readAt < this.ttlMs) return undefined;
    let loaded: LoadedExceptions;
    try {
      loaded = await this.table.load();
    } catch (error) {
      // Without exceptions every tuned-away origin would alert: fail until the first read works, then
      // keep the last good list through a blip.
      if (this.fingerprint === undefined) throw error;
      this.logger.warn('exceptions table unreadable, keeping the previous list', { error: String(error) });
      return undefined;
    }
    this.readAt = now;
    for (const rejected of loaded.rejected) this.logger.warn('exception item ignored', { ...rejected });
    const fingerprint = JSON.stringify(loaded.exceptions);
    if (fingerprint === this.fingerprint) return undefined;
    this.fingerprint = fingerprint;
    for (const warning of exceptionWarnings(loaded.exceptions, 'exceptions table'))
      this.logger.warn('exception narrowed by the scoping rules', { warning });
    return new ExceptionList(loaded.exceptions, this.endpointVpcs);
  }
}
