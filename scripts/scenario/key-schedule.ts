// Which instance-profile and identity-role key each instance holds at any moment of the day.
import type { InstancePlan } from './organisation-estate';
import { RandomSource } from './random-source';
import { HOUR, MINUTE } from './scenario-events';

/**
 * Which key an instance uses when. EC2 delivers a fresh key about hourly (at a fixed offset per
 * instance); the SDK switches to it a few minutes later; the old key stays valid for hours.
 */
export class KeySchedule {
  private readonly profileKeys = new Map<string, string>();
  private readonly identityKeys = new Map<string, string>();
  private readonly lagOverrides = new Map<string, number>();

  constructor(
    private readonly seed: number,
    private readonly start: number,
    readonly end: number,
  ) {}

  delivery(instance: InstancePlan, k: number): number {
    return this.start + k * HOUR + instance.refreshOffsetMs;
  }

  switchTime(instance: InstancePlan, k: number): number {
    const override = this.lagOverrides.get(`${instance.instanceId}|${k}`);
    const lag = override ?? new RandomSource(this.seed, 'lag', instance.instanceId, k).int(60, 240) * 1000;
    return this.delivery(instance, k) + lag;
  }

  /** The planted "attacker first" theft needs the instance to be slow to switch. */
  setLag(instance: InstancePlan, k: number, lagMs: number): void {
    this.lagOverrides.set(`${instance.instanceId}|${k}`, lagMs);
  }

  /** The key index in use at `time`; -1 is the key delivered before the window (its delivery is not logged). */
  indexAt(instance: InstancePlan, time: number): number {
    const k = Math.floor((time - this.start - instance.refreshOffsetMs) / HOUR);
    return time < this.switchTime(instance, k) ? k - 1 : k;
  }

  profileKey(instance: InstancePlan, k: number): string {
    const id = `${instance.instanceId}|${k}`;
    let key = this.profileKeys.get(id);
    if (key === undefined) {
      key = new RandomSource(this.seed, 'profile-key', id).iamId('ASIA');
      this.profileKeys.set(id, key);
    }
    return key;
  }

  /** The instance identity role's key at `time`, and when it was issued (no delivery record exists for it). */
  identityKey(instance: InstancePlan, time: number): { accessKeyId: string; issuedAt: number } {
    const offset = (instance.refreshOffsetMs + 30 * MINUTE) % HOUR;
    const h = Math.floor((time - this.start - offset) / HOUR);
    const id = `${instance.instanceId}|${h}`;
    let key = this.identityKeys.get(id);
    if (key === undefined) {
      key = new RandomSource(this.seed, 'identity-key', id).iamId('ASIA');
      this.identityKeys.set(id, key);
    }
    return { accessKeyId: key, issuedAt: this.start + h * HOUR + offset };
  }
}
