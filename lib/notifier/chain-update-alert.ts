import * as z from 'zod';
import { artefactItemId, chainItemIds, sessionItemId } from '../contracts/chain-version';
import {
  FINDING_SOURCE,
  FINDING_UPDATE_DETAIL_TYPE,
  FindingChange,
  FindingDetailSchema,
  type FindingDetail,
} from '../contracts/finding-event';
import { settingsForRole, type ResponseConfig } from '../responder/response-config-schema';
import { cloudTrailKeyLink } from './console-links';
import { fields, fitSubject, formatTime, section } from './email-text';
import { whatTheKeyDid } from './taint-section';

/** A credtrail finding's chain, as the ledger remembers what was emailed of it. */
export interface ChainItems {
  readonly findingId: string;
  readonly ids: readonly string[];
  /** Whether the event is a chain-growth update (emailed against what was emailed before). */
  readonly update: boolean;
}

const EventSchema = z.object({ source: z.string(), 'detail-type': z.string(), detail: z.unknown() }).loose();

/** The chain a credtrail finding or update carries, if any: read before rendering, recorded after. */
export function chainItemsOf(event: unknown): ChainItems | null {
  const envelope = EventSchema.safeParse(event);
  if (!envelope.success || envelope.data.source !== FINDING_SOURCE) return null;
  const detail = FindingDetailSchema.safeParse(envelope.data.detail);
  if (!detail.success || detail.data.taint === undefined) return null;
  return {
    findingId: detail.data.findingId,
    ids: chainItemIds(detail.data.taint),
    update: envelope.data['detail-type'] === FINDING_UPDATE_DETAIL_TYPE,
  };
}

export interface ChainUpdateContext {
  readonly config: ResponseConfig;
  readonly severityThreshold: number;
  /** What earlier emails of this finding showed (the ledger's record); empty when none was recorded. */
  readonly chainSeen: ReadonlySet<string>;
}

export type ChainUpdateAlert = { key: string; subject: string; body: string } | { skip: string };

/**
 * Issue 17: "what the key did, updated", one email per chain version (the ledger key carries it, so a
 * redelivered version is emailed once and a new version once more). New derived sessions and artefacts
 * (not in an earlier email) first, then the chain as it stands. Count-only updates are not emailed.
 */
export function renderChainUpdate(finding: FindingDetail, context: ChainUpdateContext): ChainUpdateAlert {
  const taint = finding.taint;
  const version = finding.chainVersion;
  if (finding.change !== FindingChange.ChainGrowth || taint === undefined || version === undefined)
    return { skip: `finding update ${finding.findingId} without chain growth: not emailed` };
  const newSessions = taint.derivedSessions.filter((s) => !context.chainSeen.has(sessionItemId(s)));
  const newArtefacts = taint.persistence.filter((a) => !context.chainSeen.has(artefactItemId(a)));
  const size = version.split('-')[0] ?? '';
  const subject = fitSubject(
    (role) => `[credtrail] ${finding.severity}: what the ${role} key did, updated (${size} items)`,
    finding.roleName,
  );
  const news = [
    ...newSessions.map(
      (s) =>
        `  - new session ${s.accessKeyId}: ${s.via} ${s.roleArn ?? s.sessionName ?? ''} in account ${s.accountId} ${s.region}, valid until ${formatTime(s.expiresAt)}`,
    ),
    ...newArtefacts.map(
      (a) =>
        `  - new ${a.kind} ${a.id}${a.context === null ? '' : ` (${a.context})`} in account ${a.accountId} ${a.region}, ${a.eventName} at ${formatTime(a.eventTime)}`,
    ),
  ];
  const body = [
    ...section('What changed', [
      `The stolen key ${finding.accessKeyId} of ${finding.roleName} (instance ${finding.instanceId}) ` +
        `reached further since the last email. Chain version ${version}.`,
      ...(news.length > 0 ? news : ['  (nothing not shown in an earlier email; the chain was re-announced)']),
    ]),
    ...section('What the key did', whatTheKeyDid(taint)),
    ...section('What credtrail does', responderOutlook(finding, context)),
    ...section('Finding', [
      ...fields([
        ['Finding id', finding.findingId],
        ['Account', finding.accountId],
        ['Region', finding.region],
        ['Role', finding.roleArn],
        ['Chain version', version],
      ]),
      `CloudTrail for key:  ${cloudTrailKeyLink(finding.region, finding.accessKeyId)}`,
    ]),
    '',
    '--',
    'Sent by credtrail. One email per chain version: counts alone never send another.',
  ];
  return {
    key: `finding-chain/${FINDING_SOURCE}/${finding.findingId}/${version}`,
    subject,
    body: body.join('\n').trimStart(),
  };
}

function responderOutlook(finding: FindingDetail, context: ChainUpdateContext): string[] {
  if (finding.severityScore < context.severityThreshold)
    return [`Alert only: severity ${finding.severityScore} is below the responder's threshold.`];
  const mode = settingsForRole(context.config, finding.roleName).mode;
  return [
    `The responder re-plans the chain for this version (mode ${mode}): a step for each new role and ` +
      'created key; what earlier responses already did is not done again. A plan email follows.',
  ];
}
