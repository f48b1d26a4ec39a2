// The organisation day's options: what can be asked for, the defaults, and what is refused.
import { ORGANISATION_ACCOUNTS, organisationAccounts, type OrgAccount } from './organisation-estate';

export interface OrganisationDayOptions {
  readonly seed?: number;
  /** The UTC day, YYYY-MM-DD. */
  readonly date?: string;
  readonly startHour?: number;
  /** At least 3: the thefts need a rotated key that is reused hours later. */
  readonly hours?: number;
  /** A number of accounts (prod, staging, shared-services, then synthetic ones) or the accounts. */
  readonly accounts?: number | readonly OrgAccount[];
  readonly regions?: readonly string[];
  /** At least 5: one public, one dual-stack, the rest behind NAT; the thefts pick distinct victims. */
  readonly instancesPerVpc?: number;
  /** EKS nodes in the first workload account's first-region VPC. */
  readonly eksNodes?: number;
  /** Calls per instance and hour (its profile credentials; identity-role and delivery records come on top). */
  readonly callsPerInstanceHour?: number;
  /** Records of unrelated principals per instance-credential record. */
  readonly noiseRatio?: number;
  /** Share of records CloudTrail delivers in the next file. */
  readonly lateDeliveryRate?: number;
  /**
   * The landing-zone layouts (landing-zone.ts): central egress and endpoints over a Transit Gateway of
   * an exported network account, a NAT instance, an appliance, an instance missing from the inventory,
   * scoped exceptions over overlapping ranges and sessions merely named `i-…`, with their thefts.
   */
  readonly landingZone?: boolean;
}

export type ResolvedOptions = Required<Omit<OrganisationDayOptions, 'accounts'>> & {
  readonly accounts: readonly OrgAccount[];
};

export const DEFAULT_OPTIONS: ResolvedOptions = {
  seed: 20250314,
  date: '2025-03-14',
  startHour: 0,
  hours: 24,
  accounts: ORGANISATION_ACCOUNTS,
  regions: ['us-east-1', 'eu-west-1'],
  instancesPerVpc: 5,
  eksNodes: 2,
  callsPerInstanceHour: 30,
  noiseRatio: 2,
  lateDeliveryRate: 0.01,
  landingZone: true,
};

export class ScenarioOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScenarioOptionsError';
  }
}

export function resolveOptions(input: OrganisationDayOptions): ResolvedOptions {
  const accounts =
    typeof input.accounts === 'number'
      ? organisationAccounts(input.accounts)
      : (input.accounts ?? DEFAULT_OPTIONS.accounts);
  const options: ResolvedOptions = { ...DEFAULT_OPTIONS, ...input, accounts };
  if (options.hours < 3)
    throw new ScenarioOptionsError('hours must be at least 3 (a rotated key is reused hours later)');
  if (options.instancesPerVpc < 5) throw new ScenarioOptionsError('instancesPerVpc must be at least 5');
  if (options.regions.length === 0) throw new ScenarioOptionsError('at least one region is needed');
  if (!accounts.some((account) => !account.affiliated))
    throw new ScenarioOptionsError('a workload account is needed');
  if (!accounts.some((account) => account.affiliated)) {
    throw new ScenarioOptionsError(
      'an affiliated (shared-services) account is needed for the affiliated-endpoint theft',
    );
  }
  return options;
}
