// The email for a GuardDuty InstanceCredentialExfiltration finding forwarded to the credtrail bus.
import { GUARDDUTY_SOURCE } from '../responder/guardduty-finding-schema';
import type { Alert, RenderContext } from './alert-renderer';
import { alertLinks, guardDutyFindingLink } from './console-links';
import { alertFooter, fields, fitSubject, formatTime, section } from './email-text';
import { stolenKeySteps } from './finding-next-steps';
import type { GuardDutyAlertDetail } from './guardduty-alert-schema';
import { responseOutlook, type Severity } from './response-outlook';

function severityName(score: number): Severity {
  // GuardDuty's bands: High 7.0-8.9, Medium 4.0-6.9, Low 1.0-3.9.
  if (score >= 7) return 'HIGH';
  if (score >= 4) return 'MEDIUM';
  return 'LOW';
}

function guardDutyView(finding: GuardDutyAlertDetail) {
  const key = finding.resource?.accessKeyDetails;
  const call = finding.service?.action?.awsApiCallAction;
  const ip = call?.remoteIpDetails?.ipAddressV4 ?? call?.remoteIpDetails?.ipAddressV6;
  const remoteAccount = call?.remoteAccountDetails;
  // principalId is "AROA…:i-…" for instance credentials: the session name is the instance id.
  const instanceId =
    finding.resource?.instanceDetails?.instanceId ?? key?.principalId?.split(':')[1] ?? 'unknown instance';
  const score = finding.severity ?? 0;
  return {
    score,
    severity: severityName(score),
    accountId: finding.accountId ?? 'unknown',
    region: finding.region ?? 'us-east-1',
    roleName: key?.userName ?? 'unknown role',
    accessKeyId: key?.accessKeyId ?? 'unknown',
    instanceId,
    ip: ip ?? null,
    remoteAccount,
    sample:
      finding.service?.additionalInfo?.sample === true || key?.accessKeyId === 'GeneratedFindingAccessKeyId',
    call,
  };
}

export function renderGuardDutyFinding(finding: GuardDutyAlertDetail, context: RenderContext): Alert {
  const v = guardDutyView(finding);
  const shortType = finding.type.slice(finding.type.lastIndexOf('.') + 1);
  const origin =
    v.remoteAccount?.accountId !== undefined
      ? `${v.ip ?? 'unknown address'} in AWS account ${v.remoteAccount.accountId}${v.remoteAccount.affiliated === true ? ' (affiliated with yours)' : ' (not affiliated with yours)'}`
      : (v.ip ?? 'unknown origin');
  const place = [v.call?.remoteIpDetails?.city?.cityName, v.call?.remoteIpDetails?.country?.countryName]
    .filter((p): p is string => p !== undefined && p !== '')
    .join(', ');
  const network = v.call?.remoteIpDetails?.organization?.asnOrg ?? v.call?.remoteIpDetails?.organization?.isp;

  const subject = fitSubject(
    (role) =>
      `[credtrail/GuardDuty] ${v.sample ? 'SAMPLE ' : ''}${v.severity}: ${role} keys from ${v.instanceId} used at ${v.ip ?? 'unknown'}`,
    v.roleName,
  );

  const iface = finding.resource?.instanceDetails?.networkInterfaces?.[0];
  const body = [
    ...section('What happened', [
      `GuardDuty reports ${finding.type}: the credentials EC2 issued to instance ${v.instanceId} through role ` +
        `${v.roleName} (access key ${v.accessKeyId}) were used from ${origin}` +
        `${v.remoteAccount?.accountId !== undefined ? '' : shortType === 'OutsideAWS' ? ', outside AWS' : ''}.`,
      ...(finding.description === undefined ? [] : [finding.description]),
      ...(v.sample
        ? [
            'This is a GuardDuty SAMPLE finding (CreateSampleFindings): its values are placeholders; nothing needs doing.',
          ]
        : []),
    ]),
    ...section('Finding', [
      ...fields([
        ['Severity', `${v.severity} (${v.score})`],
        ['Type', finding.type],
        ['Account', v.accountId],
        ['Region', v.region],
        ['Role', v.roleName],
        ['Instance', v.instanceId],
        ['Access key', v.accessKeyId],
        ['Finding id', finding.id],
      ]),
    ]),
    ...section('Evidence', [
      ...fields([
        ['Origin', origin],
        ['Location', place === '' ? null : place],
        ['Network', network],
        ['First seen', formatTime(finding.service?.eventFirstSeen)],
        ['Last seen', formatTime(finding.service?.eventLastSeen)],
        [
          'Calls',
          `${finding.service?.count ?? 'unknown'}${v.call?.api === undefined ? '' : ` (latest: ${v.call.api}${v.call.serviceName === undefined ? '' : ` on ${v.call.serviceName}`})`}`,
        ],
        ['User agent', v.call?.userAgent],
      ]),
      '',
      'Instance network as GuardDuty saw it:',
      ...fields([
        ['  VPC', iface?.vpcId],
        ['  Subnet', iface?.subnetId],
        ['  Private IP', iface?.privateIpAddress],
        ['  Public IP', iface?.publicIp === '' ? 'none' : iface?.publicIp],
      ]),
    ]),
    ...section(
      'What credtrail does',
      v.sample
        ? ['Nothing: the responder refuses to act on sample findings.']
        : responseOutlook(
            { score: v.score, severity: v.severity, roleName: v.roleName, instanceId: v.instanceId },
            context,
          ),
    ),
    ...section('Next steps', stolenKeySteps(v.ip ?? 'the origin')),
    ...section('Links', [
      ...alertLinks(v.region, v.roleName, v.instanceId, v.accessKeyId),
      `GuardDuty finding:   ${guardDutyFindingLink(v.region, finding.id)}`,
    ]),
    ...alertFooter(),
  ];
  return {
    key: `finding/${GUARDDUTY_SOURCE}/${v.accountId}/${finding.id}`,
    subject,
    body: body.join('\n').trimStart(),
  };
}
