import type { Artefact } from '../contracts/finding-event';
import type { IncidentTimeline, TimelineKey } from './incident-timeline';

/** The timeline as a person reads it in a terminal: keys, what was left behind, what was read, calls. */
export function formatTimeline(timeline: IncidentTimeline): string {
  const { finding } = timeline;
  const origin = [finding.sourceIp, finding.vpcEndpointId].filter((part) => part !== null).join(' via ');
  const lines = [
    `${finding.severity} ${finding.title}`,
    `finding ${finding.findingId}  account ${finding.accountId}  key ${finding.accessKeyId}  thief's origin ${origin || 'unknown'}`,
    '',
    `Keys the thief held (${timeline.keys.length}):`,
    ...timeline.keys.map(describeKey),
    '',
    `Left behind (${timeline.persistence.length}):`,
    ...(timeline.persistence.length === 0 ? ['  nothing found'] : timeline.persistence.map(describeArtefact)),
    '',
    `Read (${timeline.reads.length}):`,
    ...(timeline.reads.length === 0
      ? ['  nothing found']
      : timeline.reads.map((read) => `${describeArtefact(read)}  x${read.count}`)),
  ];
  for (const group of timeline.groups) {
    lines.push('', `Calls in account ${group.accountId}, ${group.region} (${group.calls.length}):`);
    for (const call of group.calls) {
      const outcome = call.errorCode === null ? '' : `  [${call.errorCode}]`;
      const made = call.artefacts.length === 0 ? '' : `  -> ${call.artefacts.join(', ')}`;
      lines.push(
        `  ${call.eventTime}  ${call.service}:${call.eventName}  ${call.accessKeyId}  from ${call.sourceIp ?? call.vpcEndpointId ?? 'AWS'}${outcome}${made}`,
      );
    }
  }
  lines.push('', `${timeline.files} log files read.`);
  for (const skipped of timeline.skippedFiles) lines.push(`skipped ${skipped.name}: ${skipped.reason}`);
  return `${lines.join('\n')}\n`;
}

function describeKey(key: TimelineKey): string {
  if (key.kind === 'stolen')
    return `  ${key.accessKeyId}  stolen instance key of ${key.roleArn ?? '?'}  ${key.calls} calls from the thief's origin`;
  const role = key.roleArn ?? `${key.via ?? '?'} ${key.sessionName ?? ''}`.trim();
  return `  ${key.accessKeyId}  ${key.via ?? '?'} ${role} (session ${key.sessionName ?? '?'}) by ${key.parentAccessKeyId ?? '?'} in ${key.region ?? '?'}, ${key.mintedAt ?? '?'} to ${key.expiresAt ?? '?'}, ${key.calls} calls`;
}

export function describeArtefact(artefact: Artefact): string {
  const context = artefact.context === null ? '' : ` (${artefact.context})`;
  return `  ${artefact.kind} ${artefact.id}${context}  ${artefact.eventName} ${artefact.eventTime} in ${artefact.accountId} ${artefact.region} by ${artefact.accessKeyId}`;
}
