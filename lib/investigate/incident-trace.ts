import type { S3Client } from '@aws-sdk/client-s3';
import { CorruptLogFileError, readLogFile } from '../cloudtrail/log-file';
import { listLogFiles, type LogFileRef } from '../cloudtrail/log-sources';
import type { Artefact } from '../contracts/finding-event';
import { artefactsOf } from '../engine/taint-artefacts';
import { mintedBy, readSignedCall, type SignedCall } from '../engine/taint-call';
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
 * not the trail.
 */
export async function traceIncidents(
  roots: readonly TaintRoot[],
  paths: readonly string[],
  s3: () => S3Client | Promise<S3Client>,
): Promise<IncidentTrace> {
  const files = await listLogFiles(paths, s3);
  const skippedFiles: { name: string; reason: string }[] = [];
  const chain = new TaintChain(roots);

  const minting: SignedCall[] = [];
  await eachFile(files, skippedFiles, (_, records) => {
    for (const record of records) {
      const call = readSignedCall(record);
      if (call !== undefined && mintedBy(call) !== undefined) minting.push(call);
    }
  });
  chain.close(minting);
  minting.length = 0;

  const calls: TracedCall[] = [];
  const seen = new Set<string>();
  // The first pass already reported the files it could not read.
  await eachFile(files, [], (file, records) => {
    for (const record of records) {
      const call = readSignedCall(record);
      if (call === undefined || !chain.follows(call.accessKeyId) || seen.has(call.eventId)) continue;
      const attribution = chain.attribute(call);
      if (attribution === undefined) continue;
      seen.add(call.eventId);
      calls.push(traced(call, attribution.findingId, file.name));
    }
  });
  calls.sort((a, b) => a.eventTime - b.eventTime || a.eventId.localeCompare(b.eventId));
  return { roots, keys: chain.tainted, calls, files: files.length, skippedFiles };
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
): Promise<void> {
  for (const file of files) {
    let records: unknown[];
    try {
      records = await readLogFile(file.name, await file.open());
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
