import type { S3Client } from '@aws-sdk/client-s3';
import type { FindingDetail } from '../contracts/finding-event';
import { FOLLOWED_FINDING_TYPES } from '../engine/taint-chain';
import type { SignedCall } from '../engine/taint-call';
import { MAX_EVENT_NAMES } from '../engine/detector-store';
import { ARTEFACT_EVENT_NAMES, READ_EVENT_NAMES } from '../engine/taint-artefacts';
import { summaryOf } from './incident-timeline';
import { rootOf, traceIncidents } from './incident-trace';

const MINTING_EVENT_NAMES = new Set(['AssumeRole', 'GetSessionToken', 'GetFederationToken']);

/**
 * The offline hunt's taint: after `detect` found its findings, reads the logs again for those whose
 * key minted credentials or left something behind, and attaches what the chain did. A finding whose
 * event names show neither (reads alone do not count: instance roles read objects all day) costs no
 * second read of the logs (its list of names is complete below the cap). `minting`, the hunt's minting
 * calls, spares the trace its first pass.
 */
export async function attachTaint(
  findings: readonly FindingDetail[],
  paths: readonly string[],
  s3: () => S3Client | Promise<S3Client>,
  minting?: readonly SignedCall[],
): Promise<FindingDetail[]> {
  const followed = findings.filter(
    (finding) =>
      FOLLOWED_FINDING_TYPES.has(finding.type) &&
      (finding.eventNames.length >= MAX_EVENT_NAMES ||
        finding.eventNames.some(
          (name) =>
            MINTING_EVENT_NAMES.has(name) || (ARTEFACT_EVENT_NAMES.has(name) && !READ_EVENT_NAMES.has(name)),
        )),
  );
  if (followed.length === 0) return [...findings];
  const trace = await traceIncidents(followed.map(rootOf), paths, s3, minting);
  return findings.map((finding) => {
    if (!followed.includes(finding)) return finding;
    const taint = summaryOf(finding, trace);
    return taint === undefined ? finding : { ...finding, taint };
  });
}
