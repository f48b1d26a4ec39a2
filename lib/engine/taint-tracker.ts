import type { TaintSummary } from '../contracts/finding-event';
import { artefactsOf } from './taint-artefacts';
import { readSignedCall, isObject, type SignedCall } from './taint-call';
import { TaintChain, type TaintRoot, type TaintedKey } from './taint-chain';
import type { AttributedCall, TaintObservation, TaintStore } from './taint-store';

export interface TaintChange {
  readonly findingId: string;
  readonly summary: TaintSummary;
  /** A new derived session or a new persistent artefact: worth an update of the finding. */
  readonly grew: boolean;
}

/**
 * Follows stolen keys through one log file at a time, in the Lambda and the CLI alike: the chain lives
 * in the taint store, so a key minted in one file (region, account, container) is followed in the next.
 * A derived key's calls read before the call that minted it are not attributed here (their file came
 * first); `credtrail investigate` reads all files and has no such gap.
 */
export class TaintTracker {
  constructor(
    private readonly store: TaintStore,
    private readonly clock: () => number,
  ) {}

  /**
   * `roots`: the findings this file's suspicious calls fed (their key and origin). Returns the findings
   * whose chain changed, with their new summary.
   */
  async follow(roots: readonly TaintRoot[], records: readonly unknown[]): Promise<TaintChange[]> {
    const now = this.clock();
    const chain = new TaintChain(roots, await this.store.activeKeys(now));
    const calls = collectCalls(chain, records);
    if (calls.length === 0) return [];

    const observations = new Map<string, { keys: TaintedKey[]; calls: AttributedCall[] }>();
    const observation = (findingId: string) => {
      let entry = observations.get(findingId);
      if (entry === undefined) {
        entry = { keys: [], calls: [] };
        observations.set(findingId, entry);
      }
      return entry;
    };
    for (const call of calls) {
      const attribution = chain.attribute(call);
      if (attribution === undefined) continue;
      observation(attribution.findingId).calls.push({
        eventId: call.callId,
        derived: attribution.derived,
        artefacts: artefactsOf(call),
      });
      const minted = chain.key(mintedKeyOf(call) ?? '');
      if (minted !== undefined && minted.eventId === call.eventId)
        observation(minted.findingId).keys.push(minted);
    }
    const list: TaintObservation[] = [...observations].map(([findingId, entry]) => ({ findingId, ...entry }));
    const grown = await this.store.record(list, now);
    const changes: TaintChange[] = [];
    for (const { findingId } of list) {
      const summary = await this.store.summary(findingId);
      if (summary !== undefined) changes.push({ findingId, summary, grew: grown.has(findingId) });
    }
    return changes;
  }
}

/**
 * The calls of this file signed with a followed key, after following every minting call among them
 * (in any order). Records of other keys cost one property read each.
 */
function collectCalls(chain: TaintChain, records: readonly unknown[]): SignedCall[] {
  const calls: SignedCall[] = [];
  const taken = new Set<number>();
  for (let grew = true; grew;) {
    grew = false;
    const fresh: SignedCall[] = [];
    records.forEach((record, index) => {
      if (taken.has(index)) return;
      const key = signingKeyOf(record);
      if (key === undefined || !chain.follows(key)) return;
      const call = readSignedCall(record);
      taken.add(index);
      if (call !== undefined) fresh.push(call);
    });
    calls.push(...fresh);
    // A key minted in this file may sign other calls of this file: read them in another round.
    if (chain.close(calls).length > 0) grew = true;
  }
  return calls.sort((a, b) => a.eventTime - b.eventTime);
}

function signingKeyOf(record: unknown): string | undefined {
  if (!isObject(record)) return undefined;
  const body = isObject(record['detail']) ? record['detail'] : record;
  const identity = body['userIdentity'];
  if (!isObject(identity)) return undefined;
  const key = identity['accessKeyId'];
  return typeof key === 'string' ? key : undefined;
}

function mintedKeyOf(call: SignedCall): string | undefined {
  const credentials = call.responseElements['credentials'];
  if (!isObject(credentials)) return undefined;
  const key = credentials['accessKeyId'];
  return typeof key === 'string' ? key : undefined;
}
