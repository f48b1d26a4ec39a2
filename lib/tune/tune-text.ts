import { describeMatchers } from './exceptions-merge';
import type { GroupVerdict } from './exception-proposals';
import type { ActionTally, RoleReport } from './go-live-report';
import { countsOver, type TuneReport } from './tune-report';

/**
 * Findings carry attacker-chosen text (role session names, user agents): no control character reaches
 * the terminal, so none can move the cursor or rewrite what the reader sees.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

const SPARK = ' ▁▂▃▄▅▆▇█';

function sparkline(counts: readonly number[]): string {
  const max = Math.max(1, ...counts);
  return counts.map((count) => SPARK[count === 0 ? 0 : Math.max(1, Math.round((count / max) * 8))]).join('');
}

const minute = (time: number) => `${new Date(time).toISOString().slice(0, 16)}Z`;

/** The terminal report: proposals, groups left alone, and the go-live view per role. */
export function renderTuneText(report: TuneReport): string {
  const out: string[] = [];
  const { timeline, verdicts, goLive } = report;
  const end = timeline.start + timeline.buckets * timeline.bucketMs;
  out.push(
    `credtrail tune: ${report.findings} findings, ${minute(timeline.start)} to ${minute(end)}` +
      ` (${timeline.bucketMs === 3_600_000 ? 'one mark per hour' : 'one mark per day'});` +
      ` ${goLive.plans.recorded} recorded plans, ${goLive.plans.plannedOffline} planned offline`,
    '',
  );
  const proposed = verdicts.filter((verdict) => verdict.decision.status === 'proposed');
  const withheld = verdicts.filter((verdict) => verdict.decision.status === 'withheld');
  const left = verdicts.filter((verdict) => verdict.decision.status === 'not-proposed');

  out.push(`Proposed exceptions (${proposed.length})`);
  if (proposed.length === 0) out.push('  none: no group looks like a standing part of the estate');
  for (const verdict of proposed) out.push(...proposalLines(verdict, report));
  if (withheld.length > 0) {
    out.push('', `Withheld (${withheld.length}): would look standing, but the exception would hide more`);
    for (const verdict of withheld) out.push(...proposalLines(verdict, report));
  }
  out.push('', `Left alone (${left.length} groups): they keep alarming`);
  for (const verdict of left) {
    const { group, decision } = verdict;
    out.push(
      `  ${group.id}  ${printable(group.roleName)}  ${group.kind} ${printable(group.network)}  ` +
        `${group.findings.length} finding(s): ${decision.status === 'not-proposed' ? decision.reason : ''}`,
    );
  }
  const keptOut = verdicts.flatMap((verdict) => verdict.decision.keptOut);
  if (keptOut.length > 0) {
    out.push('', `Kept out of every proposal (${keptOut.length}): they keep alarming`);
    for (const kept of keptOut)
      out.push(`  ${printable(kept.reason)}${kept.sourceIp ? ` (${printable(kept.sourceIp)})` : ''}`);
  }
  if (report.ungrouped.length > 0) {
    out.push(
      '',
      `Not tunable by origin (${report.ungrouped.length}): IMDSv1 exposure; fix the instances (require IMDSv2)`,
    );
  }

  out.push('', 'Go-live per role (what enforce would have done over the window)');
  for (const role of goLive.roles) out.push(...roleLines(role, report));
  for (const { findingId, reason } of goLive.unplanned) {
    out.push(`  finding ${findingId} could not be planned: ${printable(reason)}`);
  }
  const ready = goLive.roles.filter((role) => role.readyToEnforce);
  out.push(
    '',
    `Ready to enforce with the proposals (${ready.length} of ${goLive.roles.length} roles with findings)`,
  );
  if (goLive.suggestedRoleRules.length > 0) {
    out.push('  add to the response configuration ("roles", first match wins):');
    out.push(`  ${printable(JSON.stringify(goLive.suggestedRoleRules))}`);
  }
  out.push(
    '  roles that are not in this report had no finding over the window: they are ready too.',
    '',
    'Write accepted proposals: credtrail tune … --write exceptions.json [--accept p-…,p-…]',
    '  or into the deployed exceptions table: credtrail tune … --table TABLE (shows the changes) --confirm',
  );
  return `${out.join('\n')}\n`;
}

function proposalLines(verdict: GroupVerdict, report: TuneReport): string[] {
  const { decision, group } = verdict;
  if (decision.status === 'not-proposed') return [];
  const lines = [
    `  ${decision.proposalId}  ${printable(group.roleName)} in ${group.accountId} ${group.kind}`,
    `    evidence: ${printable(decision.evidence)}`,
    `    timeline: |${sparkline(countsOver(report.timeline, group.findings))}|`,
    `    exception: ${printable(describeMatchers(decision.exception))}; expires ${decision.exception.expiresAt ?? 'never'}`,
  ];
  if (decision.status === 'withheld') lines.push(`    withheld: ${printable(decision.reason)}`);
  return lines;
}

function roleLines(role: RoleReport, report: TuneReport): string[] {
  const removed = Object.entries(role.removedBy)
    .map(([proposal, count]) => `${count} by ${proposal}`)
    .join(', ');
  const bySeverity = ['HIGH', 'MEDIUM', 'LOW']
    .map((severity) => [severity, role.findings.filter((f) => f.severity === severity).length] as const)
    .filter(([, count]) => count > 0)
    .map(([severity, count]) => `${severity} ${count}`)
    .join(', ');
  return [
    `  ${role.accountId} ${printable(role.roleName)}  [${role.currentMode}]  ${role.readyToEnforce ? 'READY' : 'NOT READY'}`,
    `    findings: ${role.findings.length}${bySeverity ? ` (${bySeverity})` : ''}${removed ? `; removed: ${removed}` : ''}; remaining ${role.remaining.length}`,
    `    timeline: |${sparkline(countsOver(report.timeline, role.findings))}|`,
    `    enforce would have: ${tallyText(role.wouldHave)}`,
    ...(role.wouldHave.incidents !== role.wouldStill.incidents
      ? [`    with the proposals: ${tallyText(role.wouldStill)}`]
      : []),
  ];
}

export function tallyText(tally: ActionTally): string {
  if (tally.incidents === 0 && tally.undecided === 0) return 'changed nothing';
  const parts = [
    `${tally.incidents} response(s)`,
    tally['revoke-sessions'] > 0 ? `sessions revoked ${tally['revoke-sessions']}×` : null,
    tally['pin-to-network'] > 0 ? `role pinned ${tally['pin-to-network']}×` : null,
    tally['quarantine-instance'] > 0 ? `${tally['quarantine-instance']} instance(s) quarantined` : null,
    tally.undecided > 0 ? `${tally.undecided} step(s) that could not be planned offline` : null,
  ];
  return parts.filter((part) => part !== null).join(', ');
}
