import {
  MAX_EGRESS_ADDRESSES,
  MAX_EGRESS_SIGHTINGS,
  MAX_LEARNED_ORIGINS,
  egressScope,
  instanceRef,
  type EgressAddress,
  type InstanceHistory,
  type LearnedOrigin,
} from '../engine/learned-network';
import type {
  EgressScope,
  EgressSighting,
  InstanceActivity,
  InstanceKey,
  LearnedNetworkStore,
  OriginLearning,
} from '../engine/learned-network-store';
import { originKey } from '../engine/origin';

interface MutableHistory {
  readonly accountId: string;
  readonly instanceId: string;
  readonly origins: Map<string, LearnedOrigin>;
  lastActive: number;
}

/** The CLI's learned network: Maps, bounded like the DynamoDB items, gone with the process. */
export class MemoryLearnedNetworkStore implements LearnedNetworkStore {
  private readonly histories = new Map<string, MutableHistory>();
  private readonly egress = new Map<string, Map<string, EgressAddress>>();

  getHistories(instances: readonly InstanceKey[]): Promise<Map<string, InstanceHistory>> {
    const found = new Map<string, InstanceHistory>();
    for (const { accountId, instanceId } of instances) {
      const ref = instanceRef(accountId, instanceId);
      const history = this.histories.get(ref);
      if (history !== undefined) found.set(ref, { ...history, origins: new Map(history.origins) });
    }
    return Promise.resolve(found);
  }

  learn(learnings: readonly OriginLearning[], activity: readonly InstanceActivity[]): Promise<void> {
    for (const learning of learnings) {
      const history = this.historyOf(learning);
      const key = originKey(learning.origin);
      if (!history.origins.has(key) && history.origins.size < MAX_LEARNED_ORIGINS) {
        history.origins.set(key, {
          origin: learning.origin,
          kind: learning.kind,
          learnedAt: learning.at,
          teacher: learning.teacher,
        });
      }
      history.lastActive = Math.max(history.lastActive, learning.at);
    }
    for (const seen of activity) {
      const history = this.historyOf(seen);
      history.lastActive = Math.max(history.lastActive, seen.at);
    }
    return Promise.resolve();
  }

  getEgress(scopes: readonly EgressScope[]): Promise<Map<string, Map<string, EgressAddress>>> {
    const found = new Map<string, Map<string, EgressAddress>>();
    for (const { accountId, region } of scopes) {
      const scope = egressScope(accountId, region);
      found.set(scope, new Map(this.egress.get(scope)));
    }
    return Promise.resolve(found);
  }

  noteEgress(sightings: readonly EgressSighting[]): Promise<void> {
    for (const sighting of sightings) {
      const scope = egressScope(sighting.accountId, sighting.region);
      let addresses = this.egress.get(scope);
      if (addresses === undefined) this.egress.set(scope, (addresses = new Map<string, EgressAddress>()));
      const known = addresses.get(sighting.address);
      if (known === undefined && addresses.size >= MAX_EGRESS_ADDRESSES) continue;
      const sightings = new Set(known?.sightings);
      if (sightings.size < MAX_EGRESS_SIGHTINGS) sightings.add(sighting.sighting);
      addresses.set(sighting.address, {
        accountId: sighting.accountId,
        region: sighting.region,
        address: sighting.address,
        sightings: [...sightings],
        firstSeen: Math.min(known?.firstSeen ?? sighting.at, sighting.at),
        lastSeen: Math.max(known?.lastSeen ?? sighting.at, sighting.at),
      });
    }
    return Promise.resolve();
  }

  private historyOf({ accountId, instanceId }: InstanceKey): MutableHistory {
    const ref = instanceRef(accountId, instanceId);
    let history = this.histories.get(ref);
    if (history === undefined) {
      history = { accountId, instanceId, origins: new Map(), lastActive: -Infinity };
      this.histories.set(ref, history);
    }
    return history;
  }
}
