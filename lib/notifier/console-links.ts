/**
 * Console links for an alert. Region-scoped consoles take the finding's region; IAM is global.
 * CloudTrail's event history filters by the same lookup attributes as LookupEvents (AccessKeyId among
 * them) and, like LookupEvents, covers one region and 90 days of management events.
 */
export function iamRoleLink(roleName: string): string {
  return `https://console.aws.amazon.com/iam/home#/roles/details/${encodeURIComponent(roleName)}`;
}

export function ec2InstanceLink(region: string, instanceId: string): string {
  return `https://${region}.console.aws.amazon.com/ec2/home?region=${region}#InstanceDetails:instanceId=${encodeURIComponent(instanceId)}`;
}

export function cloudTrailKeyLink(region: string, accessKeyId: string): string {
  return `https://${region}.console.aws.amazon.com/cloudtrail/home?region=${region}#/events?AccessKeyId=${encodeURIComponent(accessKeyId)}`;
}

export function guardDutyFindingLink(region: string, findingId: string): string {
  return `https://${region}.console.aws.amazon.com/guardduty/home?region=${region}#/findings?fId=${encodeURIComponent(findingId)}`;
}

/** The role name from a role ARN, dropping any path ("arn:aws:iam::1:role/a/b/Name" → "Name"). */
export function roleNameFromArn(roleArn: string): string {
  return roleArn.slice(roleArn.lastIndexOf('/') + 1);
}

/** The console pages of a finding's role, instance and key, as lines of an email. */
export function alertLinks(
  region: string,
  roleName: string,
  instanceId: string,
  accessKeyId: string,
): string[] {
  return [
    `IAM role:            ${iamRoleLink(roleName)}`,
    `EC2 instance:        ${ec2InstanceLink(region, instanceId)}`,
    `CloudTrail for key:  ${cloudTrailKeyLink(region, accessKeyId)}`,
  ];
}
