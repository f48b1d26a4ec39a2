import type { S3Client } from '@aws-sdk/client-s3';
import { CorruptLogFileError, readLogBytes, recordsOfLogText, textOfLogBytes } from '../cloudtrail/log-file';
import { listLogFiles, type LogFileRef } from '../cloudtrail/log-sources';
import type { Artefact } from '../contracts/finding-event';
import { artefactsOf } from '../engine/taint-artefacts';
import { mintingCallOf, readSignedCall, type SignedCall } from '../engine/taint-call';
import { TaintChain, type TaintRoot, type TaintedKey } from '../engine/taint-chain';
export { rootOf } from '../engine/taint-chain';

/** One call of the thief's, as the timeline lists it. */
export interface TracedCall {
  readonly findingId: string;
  readonly eventId: string;
  readonly callId: string;
  readonly eventTime: number;
  readonly eventName: string;
  readonly eventSource: string;
  readonly accountId: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly sourceIp: string | null;
  readonly vpcEndpointId: string | null;
  readonly errorCode: string | null;
  readonly artefacts: readonly Artefact[];
  readonly file: string;
}

export interface IncidentTrace {
  readonly roots: readonly TaintRoot[];
  readonly keys: readonly TaintedKey[];
  readonly calls: readonly TracedCall[];
  readonly files: number;
  readonly skippedFiles: readonly { name: string; reason: string }[];
}

/**
 * Everything the findings' thieves did in the logs under `paths`. Two passes: the first follows every
 * minting call to a fixed point (files of several accounts and regions arrive in no useful order), the
 * second collects each call of a key in the chain. Memory holds the minting calls and the thief's calls,
 * not the trail. A hunt hands over the minting calls it read (`minting`) and the first pass is skipped.
 */
export async function traceIncidents(
  roots: readonly TaintRoot[],
  paths: readonly string[],
  s3: () => S3Client | Promise<S3Client>,
  minting?: readonly SignedCall[],
): Promise<IncidentTrace> {
  const files = await listLogFiles(paths, s3);
  const skippedFiles: { name: string; reason: string }[] = [];
  const chain = new TaintChain(roots);

  if (minting !== undefined) chain.close(minting);
  else {
    const found: SignedCall[] = [];
    await eachFile(files, skippedFiles, (_, records) => {
      for (const record of records) {
        const call = mintingCallOf(record);
        if (call !== undefined) found.push(call);
      }
    });
    chain.close(found);
  }

  const calls: TracedCall[] = [];
  const seen = new Set<string>();
  // Without a first pass here, this one reports the files it could not read (the hunt reported them too).
  await eachFile(
    files,
    minting === undefined ? [] : skippedFiles,
    (file, records) => {
      for (const record of records) {
        const call = readSignedCall(record);
        if (call === undefined || !chain.follows(call.accessKeyId) || seen.has(call.eventId)) continue;
        const attribution = chain.attribute(call);
        if (attribution === undefined) continue;
        seen.add(call.eventId);
        calls.push(traced(call, attribution.findingId, file.name));
      }
    },
    mentionsAny(chain.followedKeys),
  );
  calls.sort((a, b) => a.eventTime - b.eventTime || a.eventId.localeCompare(b.eventId));
  return { roots, keys: chain.tainted, calls, files: files.length, skippedFiles };
}

/**
 * Most files hold no call of the chain's keys: looking for the keys in the text costs a fraction of
 * parsing it (on 1.1M records the second pass parsed every file and took as long as the whole hunt).
 * A record signed by a key holds the key as written, since access key ids are plain ASCII that JSON
 * never escapes. Past a few dozen keys the searches would cost more than the parse they save.
 */
const MAX_KEYS_SEARCHED = 32;

// Access key ids are letters and digits; a key that is not (a record can say anything) is parsed for.
const PLAIN_KEY = /^[A-Za-z0-9]+$/;

function mentionsAny(keys: readonly string[]): ((text: string) => boolean) | undefined {
  if (keys.length > MAX_KEYS_SEARCHED || !keys.every((key) => PLAIN_KEY.test(key))) return undefined;
  return (text) => keys.some((key) => text.includes(key));
}

function traced(call: SignedCall, findingId: string, file: string): TracedCall {
  return {
    findingId,
    eventId: call.eventId,
    callId: call.callId,
    eventTime: call.eventTime,
    eventName: call.eventName,
    eventSource: call.eventSource,
    accountId: call.accountId,
    region: call.region,
    accessKeyId: call.accessKeyId,
    sourceIp: call.sourceIp,
    vpcEndpointId: call.vpcEndpointId,
    errorCode: call.errorCode,
    artefacts: artefactsOf(call),
    file,
  };
}

async function eachFile(
  files: readonly LogFileRef[],
  skipped: { name: string; reason: string }[],
  visit: (file: LogFileRef, records: readonly unknown[]) => void,
  worthParsing?: (text: string) => boolean,
): Promise<void> {
  for (const file of files) {
    let records: unknown[];
    try {
      const text = textOfLogBytes(file.name, await readLogBytes(file.name, await file.open()));
      if (worthParsing !== undefined && !worthParsing(text)) continue;
      records = recordsOfLogText(file.name, text);
    } catch (error) {
      const reason =
        error instanceof CorruptLogFileError
          ? error.detail
          : error instanceof Error
            ? error.message
            : String(error);
      skipped.push({ name: file.name, reason });
      continue;
    }
    visit(file, records);
  }
}
