/**
 * When a group of findings looks like a standing part of the estate rather than a theft. Every
 * threshold is named here, documented in the README, and can be changed from the command line.
 */
export interface TuneThresholds {
  /**
   * Distinct access keys in a group. EC2 hands an instance a fresh key about every hour, so two keys
   * mean the pattern outlived a rotation; a theft is usually one copied key. Never below 2: a burst
   * from one key is what a theft looks like and is never proposed.
   */
  readonly minKeys: number;
  /** Distinct clock hours (UTC) in which the group was seen: a one-off burst fits in one or two. */
  readonly minActiveHours: number;
  /**
   * Distinct instances, for origins other than the instance's own VPC endpoints (another account's
   * endpoint, a public address, a private address without endpoint): one instance's keys used from
   * one foreign place for hours is also what a persistent thief looks like.
   */
  readonly minInstancesElsewhere: number;
  /**
   * A proposed private CIDR is the smallest range covering the addresses seen, widened to at least
   * this prefix (IPv4; IPv6 uses 64) so the next pod address of the same block does not alarm.
   */
  readonly privatePrefixFloor: number;
  /** How long a proposed exception lives before someone must look again. */
  readonly expiresInDays: number;
}

export const DEFAULT_THRESHOLDS: TuneThresholds = {
  minKeys: 2,
  minActiveHours: 2,
  minInstancesElsewhere: 2,
  privatePrefixFloor: 24,
  expiresInDays: 90,
};

export class TuneThresholdError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TuneThresholdError';
  }
}

export function checkThresholds(thresholds: TuneThresholds): TuneThresholds {
  const whole = (name: keyof TuneThresholds, min: number, max = Infinity) => {
    const value = thresholds[name];
    if (!Number.isInteger(value) || value < min || value > max)
      throw new TuneThresholdError(`${name} must be a whole number from ${min} to ${max}, not ${value}`);
  };
  whole('minKeys', 2);
  whole('minActiveHours', 1);
  whole('minInstancesElsewhere', 1);
  whole('privatePrefixFloor', 8, 32);
  whole('expiresInDays', 1, 3650);
  return thresholds;
}
