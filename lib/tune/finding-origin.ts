import ipaddr from 'ipaddr.js';
import type { FindingDetail } from '../contracts/finding-event';
import type { ExceptionSubject } from '../engine/credential-exception';
import { isPublicAddress, parseAddress, type ParsedAddress } from '../engine/ip-address';

/**
 * Where a finding's calls came from, as tuning sees it:
 * - `own-endpoint`: a private address through an endpoint of the instance's own VPC (EKS pods, a
 *   sidecar proxy): the estate's own network;
 * - `estate-endpoint`: an endpoint of another VPC or trusted account (central endpoints);
 * - `foreign-endpoint`: an endpoint of an account outside the trusted set: never proposed;
 * - `private-address`: a private address without an endpoint;
 * - `public-address`: a public address (a proxy, an unlisted NAT, or a thief's host).
 */
export type OriginKind =
  'own-endpoint' | 'estate-endpoint' | 'foreign-endpoint' | 'private-address' | 'public-address';

export interface FindingOrigin {
  readonly kind: OriginKind;
  /** What findings of one group share: a private /16 (IPv6 /48), an endpoint, or one public address. */
  readonly network: string;
  readonly address: ParsedAddress | undefined;
}

export function originOf(finding: FindingDetail): FindingOrigin | undefined {
  const address = finding.sourceIp === null ? undefined : parseAddress(finding.sourceIp);
  const endpoint = finding.vpcEndpointId;
  if (endpoint !== null) {
    const kind = endpointKind(finding, endpoint);
    const block = address === undefined ? '-' : blockOf(address);
    return { kind, network: kind === 'own-endpoint' ? block : `${endpoint} ${block}`, address };
  }
  if (address === undefined) return undefined;
  return isPublicAddress(address)
    ? { kind: 'public-address', network: address.toString(), address }
    : { kind: 'private-address', network: blockOf(address), address };
}

function endpointKind(finding: FindingDetail, endpoint: string): OriginKind {
  if (finding.expected.vpcEndpointIds.includes(endpoint)) return 'own-endpoint';
  // The detector says HIGH for an endpoint of an account outside the trusted set (or of no known owner).
  return finding.severity === 'HIGH' ? 'foreign-endpoint' : 'estate-endpoint';
}

function blockOf(address: ParsedAddress): string {
  const bits = address.kind() === 'ipv4' ? 16 : 48;
  return `${networkAddress(address, bits).toString()}/${bits}`;
}

function networkAddress(address: ParsedAddress, bits: number): ParsedAddress {
  const bytes = address.toByteArray();
  const masked = bytes.map((byte, index) => {
    const keep = Math.min(8, Math.max(0, bits - index * 8));
    return byte & ((0xff << (8 - keep)) & 0xff);
  });
  return ipaddr.fromByteArray(masked);
}

/**
 * The smallest CIDR covering every address (all of one family), widened to at least `floor` bits
 * (IPv4) or 64 (IPv6) unless `exact`. Undefined for no addresses or mixed families.
 */
export function coveringCidr(
  addresses: readonly ParsedAddress[],
  floor: number,
  exact = false,
): string | undefined {
  const [first] = addresses;
  if (first === undefined || addresses.some((address) => address.kind() !== first.kind())) return undefined;
  const width = first.kind() === 'ipv4' ? 32 : 128;
  let bits = exact ? width : Math.min(width, first.kind() === 'ipv4' ? floor : 64);
  const base = first.toByteArray();
  for (const address of addresses) {
    const bytes = address.toByteArray();
    let common = 0;
    while (common < bits && bitAt(bytes, common) === bitAt(base, common)) common++;
    bits = common;
  }
  return `${networkAddress(first, bits).toString()}/${bits}`;
}

function bitAt(bytes: readonly number[], index: number): number {
  return ((bytes[Math.floor(index / 8)] ?? 0) >> (7 - (index % 8))) & 1;
}

/** What the detector's exception check would be given for this finding's calls. */
export function exceptionSubjectOf(finding: FindingDetail): ExceptionSubject {
  const endpoint = finding.vpcEndpointId;
  const ownEndpoint = endpoint !== null && finding.expected.vpcEndpointIds.includes(endpoint);
  return {
    ...(finding.sourceIp === null ? {} : { sourceIp: finding.sourceIp }),
    ...(endpoint === null ? {} : { vpcEndpointId: endpoint }),
    ...(finding.vpcEndpointAccountId === null ? {} : { vpcEndpointAccountId: finding.vpcEndpointAccountId }),
    endpointTrusted:
      endpoint !== null &&
      (ownEndpoint || finding.vpcEndpointAccountId === finding.accountId || finding.severity !== 'HIGH'),
    endpointOwn: ownEndpoint,
    accountId: finding.accountId,
    roleName: finding.roleName,
    instanceId: finding.instanceId,
    ...(finding.expected.subnetId === null ? {} : { subnetId: finding.expected.subnetId }),
    ...(finding.expected.vpcId === null ? {} : { vpcId: finding.expected.vpcId }),
  };
}
