import ipaddr from 'ipaddr.js';

export type ParsedAddress = ipaddr.IPv4 | ipaddr.IPv6;

/**
 * Parses an IP address the way CloudTrail and EC2 print them. Returns undefined for anything that is
 * not a plain address: CloudTrail puts service names ("ec2.amazonaws.com") and "AWS Internal" in
 * `sourceIPAddress` too. IPv4-mapped IPv6 is folded to IPv4 so both spellings compare equal.
 */
export function parseAddress(text: string): ParsedAddress | undefined {
  // Only IPv6 has colons. Checking first spares ipaddr.js a thrown-and-caught attempt at IPv4.
  if (!text.includes(':'))
    return ipaddr.IPv4.isValidFourPartDecimal(text) ? ipaddr.IPv4.parse(text) : undefined;
  if (!ipaddr.IPv6.isValid(text)) return undefined;
  const v6 = ipaddr.IPv6.parse(text);
  return v6.isIPv4MappedAddress() ? v6.toIPv4Address() : v6;
}

const CANONICAL_IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** The one spelling we store and compare: dotted quad, or compressed lower-case IPv6. */
export function normalizeAddress(text: string): string | undefined {
  // Nearly every source address is already a canonical dotted quad: answer those without parsing.
  if (CANONICAL_IPV4.test(text)) return text;
  return parseAddress(text)?.toString();
}

// Ranges that are never routed on the internet. A call from one of them reached AWS through a VPC
// endpoint or a private path, so the address alone says nothing about which network it came from.
const NON_PUBLIC_RANGES = new Set([
  'private',
  'loopback',
  'linkLocal',
  'uniqueLocal',
  'carrierGradeNat',
  'reserved',
  'unspecified',
]);

export function isPublicAddress(address: ParsedAddress): boolean {
  return !NON_PUBLIC_RANGES.has(address.range());
}

export type ParsedCidr = [ParsedAddress, number];

export function parseCidr(text: string): ParsedCidr | undefined {
  try {
    const [address, bits] = ipaddr.parseCIDR(text);
    return [address, bits];
  } catch {
    return undefined;
  }
}

export function cidrContains(cidr: ParsedCidr, address: ParsedAddress): boolean {
  const [network, bits] = cidr;
  if (network.kind() !== address.kind()) return false;
  return address.match(network, bits);
}
