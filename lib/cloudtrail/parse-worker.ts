/**
 * A hunt's parse worker (lib/cloudtrail/parse-pool.ts): reads local log files, inflates and parses
 * them and normalises their records, on its own thread; the main thread only judges the events. The
 * same functions as the in-process path, so a file gives the same events and the same reasons either way.
 */
import { parentPort } from 'node:worker_threads';
import { eventsOfRecords } from '../engine/cloudtrail-record';
import type { CredentialEvent } from '../engine/credential-event';
import { EventEncoder, transferablesOf } from './event-codec';
import { readLogBytes, recordsOfLogBytes } from './log-file';
import { readLocalFile } from './log-sources';
import type { FileSummary, ParseReply, ParseRequest } from './parse-pool';
import { skipReason } from './read-ahead';

const encoder = new EventEncoder();

async function parse(
  index: number,
  path: string,
  maxFileBytes: number,
  into: CredentialEvent[],
): Promise<FileSummary> {
  let records: unknown[];
  try {
    const bytes = await readLogBytes(path, readLocalFile(path, maxFileBytes), maxFileBytes);
    records = recordsOfLogBytes(path, bytes, maxFileBytes);
  } catch (error) {
    return { index, reason: skipReason(error) };
  }
  const { events, ...counts } = eventsOfRecords(records, { keepMinting: true });
  for (const event of events) into.push(event);
  return { index, ...counts, events: events.length };
}

const port = parentPort;
if (port === null) throw new Error('parse-worker.ts runs only as a worker thread');
// One run at a time, in the order asked: the encoder's string table is sequential, like the replies.
let queue = Promise.resolve();
port.on('message', ({ first, paths, maxFileBytes }: ParseRequest) => {
  queue = queue.then(async () => {
    const events: CredentialEvent[] = [];
    const files: FileSummary[] = [];
    for (const [offset, path] of paths.entries())
      files.push(await parse(first + offset, path, maxFileBytes, events));
    const encoded = encoder.encode(events);
    const reply: ParseReply = { files, events: encoded };
    port.postMessage(reply, transferablesOf(encoded));
  });
});
