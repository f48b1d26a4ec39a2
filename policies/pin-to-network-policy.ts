import type { PolicyDocument } from './policy-document';

export const PIN_POLICY_NAME = 'CredtrailPinToNetwork';

export interface RoleNetwork {
  /** VPCs whose endpoints the role's instances reach AWS through (`aws:SourceVpc`). */
  vpcIds: string[];
  /** Public egress addresses or CIDRs: instance public IPs/EIPs, NAT gateway addresses, IPv6. */
  egressCidrs: string[];
}

export class EmptyRoleNetworkError extends Error {
  constructor() {
    super('pin-to-network needs at least one VPC or egress address; an empty pin would deny everything');
    this.name = 'EmptyRoleNetworkError';
  }
}

/**
 * A deny that lets the role's instance credentials work only from the instance's own network.
 *
 * Deny applies when every condition holds (IAM ANDs operators):
 * - `Null ec2:SourceInstanceARN = false`: only credentials EC2 delivered to an instance carry this key,
 *   so other sessions of the role (e.g. a person assuming it) are not pinned (AWS Security Blog, "How to
 *   use policies to restrict where EC2 instance credentials can be used from", Mar 2023).
 * - `BoolIfExists aws:ViaAWSService = false`: calls a service makes for the role (S3 → KMS, CloudFormation
 *   forward access sessions) come from AWS's network and must keep working.
 * - `StringNotEqualsIfExists aws:SourceVpc`: `aws:SourceVpc` exists only on requests through a VPC
 *   endpoint; when absent (internet/NAT path) this arm is true and the IP arm decides.
 * - `NotIpAddressIfExists aws:SourceIp`: on the internet/NAT path the source IP is the public egress
 *   address. Through a VPC endpoint `aws:SourceIp` is absent, so this arm is true and the VPC arm decides.
 *   (IAM User Guide, global condition keys: aws:SourceVpc, aws:SourceIp, aws:ViaAWSService.)
 *
 * The EBS-encryption principal `aws:ec2-infrastructure` that the blog's SCP exempts is a different
 * principal: an inline policy on this role never applies to it.
 *
 * Limits: a thief inside a listed VPC (another compromised host) or egressing through a listed NAT is
 * not stopped; the network is a snapshot of the role's fleet in one region, so an instance launched
 * later in another VPC, behind a new NAT or with a new public IP is denied until the pin is refreshed;
 * IPv6 egress works only if listed; services reached without SigV4 through these keys (e.g. RDS IAM
 * auth tokens used later) are not covered; IAM changes take effect after a few minutes.
 */
export function pinToNetworkPolicy(network: RoleNetwork): PolicyDocument {
  if (network.vpcIds.length === 0 && network.egressCidrs.length === 0) throw new EmptyRoleNetworkError();
  const vpcIds = [...new Set(network.vpcIds)].sort();
  const cidrs = [...new Set(network.egressCidrs.map(toCidr))].sort();
  // An empty list would make the arm always true; a value no request can carry keeps the grammar valid.
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DenyInstanceCredentialsOutsideOwnNetwork',
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: {
          Null: { 'ec2:SourceInstanceARN': 'false' },
          BoolIfExists: { 'aws:ViaAWSService': 'false' },
          StringNotEqualsIfExists: { 'aws:SourceVpc': vpcIds.length > 0 ? vpcIds : ['vpc-none'] },
          NotIpAddressIfExists: { 'aws:SourceIp': cidrs.length > 0 ? cidrs : ['192.0.2.0/32'] },
        },
      },
    ],
  };
}

function toCidr(address: string): string {
  if (address.includes('/')) return address;
  return address.includes(':') ? `${address}/128` : `${address}/32`;
}
