import type { FindingDetail } from '../contracts/finding-event';
import type { DetectionReport } from './detect-run';

/** A finding as a person reads it in a terminal: what, where from, how much, and why it is odd. */
export function formatFinding(finding: FindingDetail): string {
  const lines = [`${finding.severity.padEnd(6)} ${finding.title}`];
  const pad = '       ';
  lines.push(
    `${pad}account ${finding.accountId}  region ${finding.region}  role ${finding.roleName}  key ${finding.accessKeyId}`,
  );
  if (finding.sourceIp !== null) {
    const via = finding.vpcEndpointId === null ? '' : ` via ${finding.vpcEndpointId}`;
    const owner = finding.vpcEndpointAccountId === null ? '' : ` (owner ${finding.vpcEndpointAccountId})`;
    lines.push(`${pad}origin  ${finding.sourceIp}${via}${owner}`);
  }
  const calls = count(finding.eventCount, 'call');
  lines.push(
    `${pad}seen    ${calls} from ${finding.firstSeen} to ${finding.lastSeen}: ${finding.eventNames.join(', ')}`,
  );
  const expected = describeExpected(finding);
  if (expected !== undefined) lines.push(`${pad}expected ${expected}`);
  lines.push(`${pad}why     ${finding.reason}`);
  return lines.join('\n');
}

function describeExpected(finding: FindingDetail): string | undefined {
  const e = finding.expected;
  if (e.source === 'none') return undefined;
  if (e.source === 'first-seen')
    return `first origin of this key: ${e.firstOrigin ?? 'unknown'}${e.note ? ` (${e.note})` : ''}`;
  const parts = [
    e.privateIps.length > 0 ? `private ${e.privateIps.join(', ')}` : '',
    e.publicIps.length > 0 ? `public ${e.publicIps.join(', ')}` : '',
    e.ipv6Addresses.length > 0 ? `IPv6 ${e.ipv6Addresses.join(', ')}` : '',
    e.natGatewayIps.length > 0 ? `NAT ${e.natGatewayIps.join(', ')}` : '',
    e.vpcEndpointIds.length > 0 ? `endpoints ${e.vpcEndpointIds.join(', ')}` : '',
  ].filter((part) => part !== '');
  const where = e.vpcId === null ? '' : `${e.vpcId}: `;
  if (e.source === 'learned') return `learnt from the trail: ${parts.join('; ') || 'nothing'}`;
  if (e.source === 'endpoint-owner' && parts.length === 0)
    return "an endpoint of the instance's own or a trusted account";
  return `(${e.source}) ${where}${parts.join('; ')}`;
}

export function formatSummary(report: DetectionReport): string {
  const bySeverity = { HIGH: 0, MEDIUM: 0, LOW: 0 };
  for (const finding of report.findings) bySeverity[finding.severity]++;
  const lines = [
    `Summary: ${count(report.files, 'file')} (${report.skippedFiles.length} skipped), ${count(report.records, 'record')}, ` +
      `${count(report.stats.credentialUses, 'instance-credential call')}, ${count(report.stats.deliveries, 'credential delivery', 'credential deliveries')}.`,
    `Findings: ${report.findings.length} (HIGH ${bySeverity.HIGH}, MEDIUM ${bySeverity.MEDIUM}, LOW ${bySeverity.LOW}); ` +
      `${count(report.stats.suppressed, 'call')} matched an exception.`,
  ];
  for (const skipped of report.skippedFiles) lines.push(`Skipped ${skipped.name}: ${skipped.reason}`);
  for (const invalid of report.invalidRecords) {
    lines.push(`Ignored ${invalid.count} malformed record(s) in ${invalid.name}: ${invalid.firstReason}`);
  }
  if (report.lateEvents > 0) {
    lines.push(
      `${report.lateEvents} events arrived later than the reorder window and were judged out of order.`,
    );
  }
  return lines.join('\n');
}

function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}
