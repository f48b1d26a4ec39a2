import type { BaselineKind } from './detector-store';
import type { EgressAddress, InstanceHistory } from './learned-network';
import type { Origin } from './origin';

export interface InstanceKey {
  readonly accountId: string;
  readonly instanceId: string;
}

/** One origin an instance showed with a proven key and that was accepted: it joins its history. */
export interface OriginLearning extends InstanceKey {
  readonly origin: Origin;
  readonly kind: BaselineKind;
  readonly at: number;
  /** The access key whose use taught it. */
  readonly teacher: string;
}

/** An instance seen active (its history's clock), without anything new to learn. */
export interface InstanceActivity extends InstanceKey {
  readonly at: number;
}

/** A proven, fresh key used from a public address within minutes of its delivery. */
export interface EgressSighting {
  readonly accountId: string;
  readonly region: string;
  readonly address: string;
  /** `sightingOf(…)` (learned-network.ts): the instance and key, marked for the key's first call. */
  readonly sighting: string;
  readonly at: number;
}

export interface EgressScope {
  readonly accountId: string;
  readonly region: string;
}

/**
 * Where the learned network lives: Maps in the CLI, items of the state table in the Lambda and the local
 * store (see lib/state/learned-network-dynamodb.ts). Writes are idempotent and commutative (set unions,
 * maxima), so two containers learning at once agree, and a retried batch learns nothing twice.
 */
export interface LearnedNetworkStore {
  /** Histories by `instanceRef(accountId, instanceId)`; an instance never seen is absent. */
  getHistories(instances: readonly InstanceKey[]): Promise<Map<string, InstanceHistory>>;
  learn(learnings: readonly OriginLearning[], activity: readonly InstanceActivity[]): Promise<void>;
  /** The egress addresses of each scope, by `egressScope(accountId, region)`, then by address. */
  getEgress(scopes: readonly EgressScope[]): Promise<Map<string, Map<string, EgressAddress>>>;
  noteEgress(sightings: readonly EgressSighting[]): Promise<void>;
}
