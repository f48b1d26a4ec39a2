import { BoundedMap } from './bounded-map';
import type { CredentialUse } from './credential-event';

/**
 * Verdicts by access key, then by origin. Both keys are strings JSON.parse already made (the source
 * address, or the endpoint and address), so the hot path builds no key string per call; a warm repeat
 * is two small Map lookups. Bounded by keys, like the other caches.
 */
export class PairCache<V> {
  private readonly byKey: BoundedMap<string, Map<string, V>>;

  constructor(maxKeys: number) {
    this.byKey = new BoundedMap(maxKeys);
  }

  get(accessKeyId: string, slot: string): V | undefined {
    return this.byKey.get(accessKeyId)?.get(slot);
  }

  set(accessKeyId: string, slot: string, value: V): void {
    let origins = this.byKey.get(accessKeyId);
    if (origins === undefined) {
      origins = new Map();
      this.byKey.set(accessKeyId, origins);
    }
    origins.set(slot, value);
  }

  clear(): void {
    this.byKey.clear();
  }
}

/** A call's origin as a cache slot: the address itself, or endpoint and address (never alike). */
export function originSlot(use: CredentialUse): string {
  return use.vpcEndpointId === undefined ? use.sourceIp : `vpce:${use.vpcEndpointId}|${use.sourceIp}`;
}
