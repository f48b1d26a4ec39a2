// The email for a credtrail finding: a key used away from its instance, or delivered through IMDSv1.
import { FINDING_SOURCE, FindingType, type FindingDetail } from '../contracts/finding-event';
import type { Alert, RenderContext } from './alert-renderer';
import { alertLinks } from './console-links';
import { alertFooter, fields, fitSubject, formatTime, joinOrNone, section } from './email-text';
import { expectedNetworkText } from './expected-network-text';
import { imdsv1Steps, stolenKeySteps } from './finding-next-steps';
import { responseOutlook } from './response-outlook';
import { whatTheKeyDid } from './taint-section';

function describeCredtrailOrigin(finding: FindingDetail): string {
  if (finding.vpcEndpointId !== null) {
    const owner =
      finding.vpcEndpointAccountId === null ? '' : ` owned by account ${finding.vpcEndpointAccountId}`;
    return `${finding.sourceIp ?? 'unknown address'} via VPC endpoint ${finding.vpcEndpointId}${owner}`;
  }
  return finding.sourceIp ?? 'unknown origin';
}

function shortOrigin(finding: FindingDetail): string {
  return finding.vpcEndpointId ?? finding.sourceIp ?? 'unknown';
}

export function renderCredtrailFinding(finding: FindingDetail, context: RenderContext): Alert {
  const exfiltration = finding.type === FindingType.UnexpectedOrigin;
  const subject = exfiltration
    ? fitSubject(
        (role) =>
          `[credtrail] ${finding.severity}: ${role} keys from ${finding.instanceId} used at ${shortOrigin(finding)}`,
        finding.roleName,
      )
    : fitSubject(
        (role) =>
          `[credtrail] ${finding.severity}: ${role} keys on ${finding.instanceId} delivered via IMDSv1`,
        finding.roleName,
      );

  const what = exfiltration
    ? [
        `The temporary credentials that EC2 issued to instance ${finding.instanceId} through role ` +
          `${finding.roleName} (access key ${finding.accessKeyId}) were used from ${describeCredtrailOrigin(finding)}, ` +
          `which is not part of that instance's network. Someone may have copied them off the instance.`,
        finding.reason,
      ]
    : [
        `Instance ${finding.instanceId} fetched credentials for role ${finding.roleName} through IMDSv1, ` +
          'the metadata path an SSRF hole in a web application can reach. Nothing shows the key was stolen yet.',
        finding.reason,
      ];

  const evidence = [
    ...fields([
      ['Origin', describeCredtrailOrigin(finding)],
      ['First seen', formatTime(finding.firstSeen)],
      ['Last seen', formatTime(finding.lastSeen)],
      [
        'Calls',
        `${finding.eventCount}${finding.eventNames.length > 0 ? ` (${finding.eventNames.join(', ')})` : ''}`,
      ],
      ['User agents', joinOrNone(finding.userAgents)],
      ['Delivery', imdsText(finding.imdsVersion)],
      ['Key issued', finding.keyIssuedAt === null ? null : formatTime(finding.keyIssuedAt)],
    ]),
    '',
    ...expectedNetworkText(finding.expected),
  ];

  const body = [
    ...section('What happened', what),
    ...section('Finding', [
      ...fields([
        ['Severity', `${finding.severity} (${finding.severityScore})`],
        ['Type', finding.type],
        ['Account', finding.accountId],
        ['Region', finding.region],
        ['Role', finding.roleArn],
        ['Instance', finding.instanceId],
        ['Access key', finding.accessKeyId],
        ['Finding id', finding.findingId],
      ]),
    ]),
    ...section('Evidence', evidence),
    // Issue 17: the chain the stolen key grew and what it left behind, when the detector followed it.
    ...(finding.taint === undefined ? [] : section('What the key did', whatTheKeyDid(finding.taint))),
    ...section(
      'What credtrail does',
      responseOutlook(
        {
          score: finding.severityScore,
          severity: finding.severity,
          roleName: finding.roleName,
          instanceId: finding.instanceId,
        },
        context,
      ),
    ),
    ...section(
      'Next steps',
      exfiltration ? stolenKeySteps(shortOrigin(finding)) : imdsv1Steps(finding.instanceId),
    ),
    ...section(
      'Links',
      alertLinks(finding.region, finding.roleName, finding.instanceId, finding.accessKeyId),
    ),
    ...alertFooter(),
  ];
  return {
    key: `finding/${FINDING_SOURCE}/${finding.findingId}`,
    subject,
    body: body.join('\n').trimStart(),
  };
}

function imdsText(version: string | null): string | null {
  if (version === '1.0')
    return 'IMDSv1 (sessionContext.ec2RoleDelivery 1.0): reachable by SSRF; require IMDSv2';
  if (version === '2.0') return 'IMDSv2 (sessionContext.ec2RoleDelivery 2.0)';
  return null;
}
