import { createHash } from 'node:crypto';
import {
  FindingChange,
  type Artefact,
  type DerivedSession,
  type FindingDetail,
  type TaintSummary,
} from './finding-event';

/**
 * The chain's version (`chainVersion` in the finding contract): how many derived sessions and
 * persistent artefacts it holds, and a digest of their identifiers, sorted so that the order a store
 * returns them in does not make a new version. Reads are left out: a read counted again is not news.
 */
export function chainVersionOf(taint: TaintSummary): string {
  const ids = chainItemIds(taint).sort();
  const digest = createHash('sha256').update(ids.join('\n')).digest('hex').slice(0, 12);
  return `${ids.length}-${digest}`;
}

/**
 * The detail as announced: with the chain's version when it has a chain, and, on an update, whether
 * the chain grew (what the bus rules route on) or only counts moved (routed nowhere).
 */
export function announcedDetail(detail: FindingDetail, update: { chainGrew: boolean } | null): FindingDetail {
  const rest = { ...detail };
  delete rest.chainVersion;
  delete rest.change;
  const version = detail.taint === undefined ? {} : { chainVersion: chainVersionOf(detail.taint) };
  if (update === null) return { ...rest, ...version };
  // A growth the version cannot show (no chain) is not chain growth: the rules need a version to key on.
  const grew = update.chainGrew && detail.taint !== undefined;
  return { ...rest, ...version, change: grew ? FindingChange.ChainGrowth : FindingChange.Counts };
}

/** One identifier per derived session and persistent artefact: what a chain version is made of. */
export function chainItemIds(taint: TaintSummary): string[] {
  return [
    ...taint.derivedSessions.map((session) => sessionItemId(session)),
    ...taint.persistence.map((artefact) => artefactItemId(artefact)),
  ];
}

export function sessionItemId(session: DerivedSession): string {
  return `session:${session.accountId}:${session.accessKeyId}`;
}

export function artefactItemId(artefact: Artefact): string {
  return `${artefact.kind}:${artefact.accountId}:${artefact.id}`;
}
