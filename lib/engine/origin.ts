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
  return originKeyOf(origin.sourceIp, origin.kind === 'endpoint' ? origin.vpcEndpointId : undefined);
}

export function originKeyOf(sourceIp: string, vpcEndpointId: string | undefined): string {
  return vpcEndpointId === undefined ? `ip:${sourceIp}` : `vpce:${vpcEndpointId}|${sourceIp}`;
}

/** The (access key, origin) pair: the unit the detector judges once and a finding is about. */
export function pairKeyOf(accessKeyId: string, sourceIp: string, vpcEndpointId: string | undefined): string {
  return `${accessKeyId}|${originKeyOf(sourceIp, vpcEndpointId)}`;
}

export function describeOrigin(origin: Origin): string {
  if (origin.kind === 'address') return origin.sourceIp;
  const owner = origin.vpcEndpointAccountId === undefined ? '' : ` owned by ${origin.vpcEndpointAccountId}`;
  return `${origin.sourceIp} via VPC endpoint ${origin.vpcEndpointId}${owner}`;
}
