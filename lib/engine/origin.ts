import type { CredentialUse } from './credential-event';

/**
 * Where a call came from. Through a VPC endpoint the source address is a private one, meaningful
 * only inside the endpoint's VPC, so the endpoint is part of the origin; otherwise the address is.
 */
export type Origin =
  | { readonly kind: 'address'; readonly sourceIp: string }
  | {
      readonly kind: 'endpoint';
      readonly sourceIp: string;
      readonly vpcEndpointId: string;
      readonly vpcEndpointAccountId?: string;
    };

export function originOf(use: CredentialUse): Origin {
  if (use.vpcEndpointId === undefined) return { kind: 'address', sourceIp: use.sourceIp };
  return {
    kind: 'endpoint',
    sourceIp: use.sourceIp,
    vpcEndpointId: use.vpcEndpointId,
    ...(use.vpcEndpointAccountId !== undefined ? { vpcEndpointAccountId: use.vpcEndpointAccountId } : {}),
  };
}

/** A stable text key: the unit a finding is about, together with the access key. */
export function originKey(origin: Origin): string {
  return origin.kind === 'address'
    ? `ip:${origin.sourceIp}`
    : `vpce:${origin.vpcEndpointId}|${origin.sourceIp}`;
}

export function describeOrigin(origin: Origin): string {
  if (origin.kind === 'address') return origin.sourceIp;
  const owner = origin.vpcEndpointAccountId === undefined ? '' : ` owned by ${origin.vpcEndpointAccountId}`;
  return `${origin.sourceIp} via VPC endpoint ${origin.vpcEndpointId}${owner}`;
}
