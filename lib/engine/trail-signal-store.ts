import type { InstanceKey } from './learned-network-store';

/**
 * Where the trail-side signals' state lives (issue 13): Maps in the CLI, items of the state table in the
 * Lambda and the local store (lib/state/trail-signals-dynamodb.ts). Like the learned network, every
 * write is a set union, so two containers noting at once agree and a retried batch notes nothing twice;
 * the detector reads an account's signals back as a whole, so what one container noted decides a use
 * another container handles.
 */
export type Platform = 'macos' | 'windows' | 'linux';
export const PLATFORMS: readonly Platform[] = ['macos', 'windows', 'linux'];

/** Someone reached into the instance (a command, a session, an SSH key) from `sourceIp`. */
export interface OperatorAccess {
  readonly accountId: string;
  readonly instanceId: string;
  readonly sourceIp: string;
  readonly at: number;
  readonly eventName: AccessEventName;
}

/** The instance was stopped, terminated or started (each a point on its power timeline). */
export interface PowerChange {
  readonly accountId: string;
  readonly instanceId: string;
  readonly at: number;
  readonly eventName: PowerEventName;
}

export type AccessEventName = 'SendCommand' | 'StartSession' | 'SendSSHPublicKey';
export type PowerEventName = 'StopInstances' | 'TerminateInstances' | 'StartInstances';

/** One letter per event name: the stored entries stay a few dozen bytes. */
export const ACCESS_CODES: Readonly<Record<AccessEventName, string>> = {
  SendCommand: 'C',
  StartSession: 'S',
  SendSSHPublicKey: 'K',
};
export const POWER_CODES: Readonly<Record<PowerEventName, string>> = {
  StopInstances: 'S',
  TerminateInstances: 'T',
  StartInstances: 'R',
};

export function isAccessEventName(name: string): name is AccessEventName {
  return Object.hasOwn(ACCESS_CODES, name);
}
export function isPowerEventName(name: string): name is PowerEventName {
  return Object.hasOwn(POWER_CODES, name);
}

/** An account's signals as read: only instances someone acted on (a handful, kept short by the TTLs). */
export interface AccountSignals {
  readonly accesses: readonly OperatorAccess[];
  readonly power: readonly PowerChange[];
}

export interface PlatformSighting extends InstanceKey {
  readonly platform: Platform;
}

// An operator's command reaches the instance within seconds; a key read through it is used within minutes.
export const OPERATOR_WINDOW_MS = 30 * 60_000;
/**
 * Bounds, per instance: the accesses and power changes kept (the newest), in the store by time bucket so
 * that a busy automation filling one bucket cannot hide a later access. Per account: the items one read
 * returns (the TTLs keep far fewer alive: accesses for an hour, power changes for the life of a key).
 */
export const MAX_ACCESSES_PER_INSTANCE = 16;
export const MAX_POWER_CHANGES_PER_INSTANCE = 16;
export const MAX_ENTRIES_PER_BUCKET = 8;
export const ACCESS_BUCKET_MS = OPERATOR_WINDOW_MS;
export const POWER_BUCKET_MS = 3_600_000;
export const MAX_SIGNAL_ITEMS_PER_ACCOUNT = 1_000;

export interface TrailSignalStore {
  /** The signals of each account, by account id (an account with none maps to empty lists). */
  getSignals(accountIds: readonly string[]): Promise<Map<string, AccountSignals>>;
  noteSignals(accesses: readonly OperatorAccess[], power: readonly PowerChange[]): Promise<void>;
  /** The platforms each instance's own calls named, by `instanceRef`; absent when none is known. */
  getPlatforms(instances: readonly InstanceKey[]): Promise<Map<string, ReadonlySet<Platform>>>;
  notePlatforms(sightings: readonly PlatformSighting[]): Promise<void>;
}

/** Keeps the newest `max` of `entries` (by time), each once. */
export function newestDistinct<T extends { readonly at: number }>(
  entries: readonly T[],
  keyOf: (entry: T) => string,
  max: number,
): T[] {
  const unique = new Map<string, T>();
  for (const entry of entries) unique.set(keyOf(entry), entry);
  return [...unique.values()].sort((a, b) => a.at - b.at).slice(-max);
}

export const accessKeyOf = (a: OperatorAccess) => `${a.at}|${a.sourceIp}|${ACCESS_CODES[a.eventName]}`;
export const powerKeyOf = (p: PowerChange) => `${p.at}|${POWER_CODES[p.eventName]}`;
