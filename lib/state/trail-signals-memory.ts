import { BoundedMap } from '../engine/bounded-map';
import { instanceRef } from '../engine/learned-network';
import type { InstanceKey } from '../engine/learned-network-store';
import {
  MAX_ACCESSES_PER_INSTANCE,
  MAX_POWER_CHANGES_PER_INSTANCE,
  MAX_SIGNAL_ITEMS_PER_ACCOUNT,
  accessKeyOf,
  newestDistinct,
  powerKeyOf,
  type AccountSignals,
  type OperatorAccess,
  type Platform,
  type PlatformSighting,
  type PowerChange,
  type TrailSignalStore,
} from '../engine/trail-signal-store';

interface Watch {
  accesses: OperatorAccess[];
  power: PowerChange[];
}

const MAX_INSTANCES = 100_000;

/**
 * The CLI's trail signals: Maps bounded like the DynamoDB items (per instance the newest entries, per
 * account a number of instances), gone with the process. No TTL: one run's memory is short-lived, and the
 * windows are judged on event times anyway.
 */
export class MemoryTrailSignalStore implements TrailSignalStore {
  private readonly accounts = new Map<string, BoundedMap<string, Watch>>();
  private readonly platforms = new BoundedMap<string, Set<Platform>>(MAX_INSTANCES);

  getSignals(accountIds: readonly string[]): Promise<Map<string, AccountSignals>> {
    const found = new Map<string, AccountSignals>();
    for (const accountId of accountIds) {
      const accesses: OperatorAccess[] = [];
      const power: PowerChange[] = [];
      for (const watch of this.accounts.get(accountId)?.values() ?? []) {
        accesses.push(...watch.accesses);
        power.push(...watch.power);
      }
      found.set(accountId, { accesses, power });
    }
    return Promise.resolve(found);
  }

  noteSignals(accesses: readonly OperatorAccess[], power: readonly PowerChange[]): Promise<void> {
    for (const access of accesses) {
      const watch = this.watchOf(access);
      watch.accesses = newestDistinct([...watch.accesses, access], accessKeyOf, MAX_ACCESSES_PER_INSTANCE);
    }
    for (const change of power) {
      const watch = this.watchOf(change);
      watch.power = newestDistinct([...watch.power, change], powerKeyOf, MAX_POWER_CHANGES_PER_INSTANCE);
    }
    return Promise.resolve();
  }

  getPlatforms(instances: readonly InstanceKey[]): Promise<Map<string, ReadonlySet<Platform>>> {
    const found = new Map<string, ReadonlySet<Platform>>();
    for (const { accountId, instanceId } of instances) {
      const ref = instanceRef(accountId, instanceId);
      const known = this.platforms.get(ref);
      if (known !== undefined) found.set(ref, new Set(known));
    }
    return Promise.resolve(found);
  }

  notePlatforms(sightings: readonly PlatformSighting[]): Promise<void> {
    for (const { accountId, instanceId, platform } of sightings) {
      const ref = instanceRef(accountId, instanceId);
      const known = this.platforms.get(ref) ?? new Set<Platform>();
      known.add(platform);
      this.platforms.set(ref, known);
    }
    return Promise.resolve();
  }

  private watchOf({ accountId, instanceId }: InstanceKey): Watch {
    let watched = this.accounts.get(accountId);
    if (watched === undefined) {
      // Per account, as the DynamoDB read is bounded: the oldest instance acted on is forgotten first.
      watched = new BoundedMap<string, Watch>(MAX_SIGNAL_ITEMS_PER_ACCOUNT);
      this.accounts.set(accountId, watched);
    }
    let watch = watched.get(instanceId);
    if (watch === undefined) watched.set(instanceId, (watch = { accesses: [], power: [] }));
    return watch;
  }
}
