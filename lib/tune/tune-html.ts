import type { FindingDetail } from '../contracts/finding-event';
import { describeMatchers } from './exceptions-merge';
import type { GroupVerdict } from './exception-proposals';
import type { RoleReport } from './go-live-report';
import { tallyText } from './tune-text';
import { countsOver, type Timeline, type TuneReport } from './tune-report';

/** Every string from a finding is attacker-controlled: nothing reaches the page unescaped. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

const h = escapeHtml;
const minute = (time: number) => `${new Date(time).toISOString().slice(0, 16)}Z`;

/**
 * The report for the review meeting: one self-contained HTML file (no script, no external asset; the
 * page's own policy forbids both), a timeline per group and per role.
 */
export function renderTuneHtml(report: TuneReport): string {
  const { verdicts, goLive, timeline } = report;
  const proposals = verdicts.filter((verdict) => verdict.decision.status !== 'not-proposed');
  const left = verdicts.filter((verdict) => verdict.decision.status === 'not-proposed');
  const end = timeline.start + timeline.buckets * timeline.bucketMs;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>credtrail tune</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#222;max-width:1200px}
table{border-collapse:collapse;width:100%;margin:.5em 0 1.5em}td,th{border-bottom:1px solid #ddd;padding:.35em .5em;text-align:left;vertical-align:top}
code{background:#f4f4f4;padding:0 .2em;word-break:break-all}.ok{color:#176317;font-weight:600}.no{color:#a11;font-weight:600}
svg{display:block}.muted{color:#666}
</style></head><body>
<h1>credtrail tune</h1>
<p>${report.findings} findings from ${h(minute(timeline.start))} to ${h(minute(end))}; ${goLive.plans.recorded} recorded plans, ${goLive.plans.plannedOffline} planned offline. Generated ${h(report.generatedAt)}. Each bar of a timeline is one ${timeline.bucketMs === 3_600_000 ? 'hour' : 'day'}.</p>
<h2>Proposed exceptions (${proposals.length})</h2>
${proposals.length === 0 ? '<p>None: no group looks like a standing part of the estate.</p>' : `<table><tr><th>id</th><th>group</th><th>evidence</th><th>timeline</th><th>exception</th></tr>${proposals.map((verdict) => proposalRow(verdict, timeline)).join('\n')}</table>`}
<h2>Left alone (${left.length} groups): they keep alarming</h2>
<table><tr><th>group</th><th>findings</th><th>why not</th><th>timeline</th></tr>
${left.map((verdict) => leftRow(verdict, timeline)).join('\n')}</table>
${keptOutSection(verdicts)}
<h2>Go-live per role</h2>
<table><tr><th>role</th><th>mode now</th><th>findings</th><th>timeline</th><th>enforce would have</th><th>with the proposals</th><th>ready</th></tr>
${goLive.roles.map((role) => roleRow(role, timeline)).join('\n')}</table>
<p>Response configuration for the ready roles (<code>roles</code>, first match wins):</p>
<pre><code>${h(JSON.stringify({ roles: goLive.suggestedRoleRules }, null, 2))}</code></pre>
<p class="muted">Roles not listed had no finding over the window. Thresholds: ${h(JSON.stringify(report.thresholds))}.</p>
</body></html>
`;
}

function proposalRow(verdict: GroupVerdict, timeline: Timeline): string {
  const { group, decision } = verdict;
  if (decision.status === 'not-proposed') return '';
  const status = decision.status === 'withheld' ? `<p class="no">withheld: ${h(decision.reason)}</p>` : '';
  return `<tr><td><code>${h(decision.proposalId)}</code></td><td>${groupCell(verdict)}</td><td>${h(decision.evidence)}${status}</td><td>${bars(countsOver(timeline, group.findings))}</td><td><code>${h(describeMatchers(decision.exception))}</code><br>expires ${h(decision.exception.expiresAt ?? 'never')}</td></tr>`;
}

function leftRow(verdict: GroupVerdict, timeline: Timeline): string {
  const { group, decision } = verdict;
  return `<tr><td>${groupCell(verdict)}</td><td>${group.findings.length}</td><td>${h(decision.status === 'not-proposed' ? decision.reason : '')}</td><td>${bars(countsOver(timeline, group.findings))}</td></tr>`;
}

function groupCell({ group }: GroupVerdict): string {
  const agents = [...new Set(group.findings.flatMap((finding: FindingDetail) => finding.userAgents))].slice(
    0,
    3,
  );
  const sessions = [...new Set(group.findings.map((finding) => finding.instanceId))].slice(0, 3);
  return `<code>${h(group.id)}</code> ${h(group.roleName)}<br>${h(group.accountId)} ${h(group.vpcId ?? '')} ${h(group.kind)} <code>${h(group.network)}</code><br><span class="muted">sessions ${h(sessions.join(', '))}; agents ${h(agents.join(' | '))}</span>`;
}

function keptOutSection(verdicts: readonly GroupVerdict[]): string {
  const kept = verdicts.flatMap((verdict) => verdict.decision.keptOut);
  if (kept.length === 0) return '';
  return `<h2>Kept out of every proposal (${kept.length})</h2><ul>${kept
    .map((entry) => `<li>${h(entry.reason)} <code>${h(entry.sourceIp ?? '')}</code></li>`)
    .join('')}</ul>`;
}

function roleRow(role: RoleReport, timeline: Timeline): string {
  const removed = Object.entries(role.removedBy)
    .map(([proposal, count]) => `${count} removed by ${proposal}`)
    .join(', ');
  return `<tr><td>${h(role.accountId)} ${h(role.roleName)}</td><td>${h(role.currentMode)}</td><td>${role.findings.length}${removed ? ` (${h(removed)})` : ''}, ${role.remaining.length} remaining</td><td>${bars(countsOver(timeline, role.findings))}</td><td>${h(tallyText(role.wouldHave))}</td><td>${h(tallyText(role.wouldStill))}</td><td class="${role.readyToEnforce ? 'ok">ready' : 'no">not yet'}</td></tr>`;
}

/** A bar chart as inline SVG: no script, no external asset. */
function bars(counts: readonly number[]): string {
  const width = 4;
  const height = 24;
  const max = Math.max(1, ...counts);
  const rects = counts
    .map((count, index) =>
      count === 0
        ? ''
        : `<rect x="${index * width}" y="${height - Math.max(2, Math.round((count / max) * height))}" width="${width - 1}" height="${Math.max(2, Math.round((count / max) * height))}" fill="#3b6ea5"><title>${count}</title></rect>`,
    )
    .join('');
  return `<svg width="${Math.max(width, counts.length * width)}" height="${height}" role="img"><rect width="100%" height="${height}" fill="#f3f3f3"/>${rects}</svg>`;
}
