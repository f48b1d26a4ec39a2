// The "Next steps" of a finding's email: what a person does about a stolen key or an IMDSv1 exposure.

/** For a key used away from its instance (credtrail's UnexpectedOrigin and GuardDuty's findings alike). */
export function stolenKeySteps(origin: string): string[] {
  return [
    `1. Decide whether ${origin} is yours (a new NAT gateway, proxy, VPN or partner endpoint). If it is, ` +
      'add a credtrail exception for it, with a reason and an expiry, and stop here.',
    '2. If it is not, treat the key as stolen: open the role in IAM and use "Revoke active sessions" (or let ' +
      "credtrail's revoke-sessions do it). The instance's workload recovers once it fetches a fresh key.",
    '3. Find how the key left the instance: require IMDSv2 (HttpTokens=required), look for SSRF/XXE holes ' +
      'in what the instance serves, and for unknown shells or processes on it. Consider quarantining it.',
    '4. Review everything the key did, in every region it was used: the CloudTrail link below covers the ' +
      "finding's region only.",
  ];
}

export function imdsv1Steps(instanceId: string): string[] {
  return [
    `1. Require IMDSv2 on ${instanceId}: aws ec2 modify-instance-metadata-options --instance-id ${instanceId} ` +
      '--http-tokens required (test the workload first: old SDKs may need an upgrade).',
    '2. Check the instance for SSRF/XXE-prone applications while IMDSv1 stays on.',
  ];
}
