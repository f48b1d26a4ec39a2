import { readSignedCall, type SignedCall } from '../../lib/engine/taint-call';
import { TaintChain, type TaintRoot } from '../../lib/engine/taint-chain';
import { TaintTracker } from '../../lib/engine/taint-tracker';
import { MemoryTaintStore } from '../../lib/state/taint-memory-store';
import { TRAIL, allTrailRecords, assumeRole, roleSession, taintTrail } from '../support/taint-trail';

const FINDING = 'f'.repeat(32);
const root: TaintRoot = {
  findingId: FINDING,
  accessKeyId: TRAIL.stolenKey,
  sourceIp: TRAIL.thiefAddress,
  vpcEndpointId: null,
};
const NOW = Date.parse('2026-11-26T10:20:00Z');

function calls(records: readonly unknown[]): SignedCall[] {
  return records.flatMap((record) => readSignedCall(record) ?? []);
}

/** The files in CloudTrail delivery order, as the Lambda receives them. */
function filesInDeliveryOrder(): Record<string, unknown>[][] {
  const files = taintTrail();
  return Object.keys(files)
    .sort((a, b) => (a.split('_')[3] ?? '').localeCompare(b.split('_')[3] ?? ''))
    .map((name) => files[name]?.Records ?? []);
}

describe('TaintChain', () => {
  it('follows two AssumeRole hops across two regions and two accounts, in any file order', () => {
    const chain = new TaintChain([root]);
    // The trail's own order puts account B's file (second hop's calls) before the first hop.
    const added = chain.close(calls(allTrailRecords()));
    expect(added.map((key) => [key.accessKeyId, key.roleArn, key.accountId, key.region, key.depth])).toEqual(
      expect.arrayContaining([
        [TRAIL.hop1Key, TRAIL.hop1Role, TRAIL.accountA, 'us-east-1', 1],
        [TRAIL.hop2Key, TRAIL.hop2Role, TRAIL.accountB, 'eu-west-1', 2],
      ]),
    );
    expect(added).toHaveLength(2);
    expect(chain.key(TRAIL.hop2Key)?.parentAccessKeyId).toBe(TRAIL.hop1Key);
    // CloudTrail's "Nov 26, 2026, 11:01:00 AM" expiration, read as UTC.
    expect(new Date(chain.key(TRAIL.hop1Key)?.expiresAt ?? 0).toISOString()).toBe('2026-11-26T11:01:00.000Z');
  });

  it('attributes a derived session used from another address than the stolen key to the finding', () => {
    const chain = new TaintChain([root]);
    const all = calls(allTrailRecords());
    chain.close(all);
    const hop1Call = all.find((call) => call.accessKeyId === TRAIL.hop1Key);
    expect(hop1Call?.sourceIp).toBe(TRAIL.secondThiefAddress);
    expect(chain.attribute(hop1Call as SignedCall)).toEqual({ findingId: FINDING, derived: true });
  });

  it("does not taint the instance's own AssumeRole from its own address", () => {
    const chain = new TaintChain([root]);
    const all = calls(allTrailRecords());
    chain.close(all);
    expect(chain.follows(TRAIL.legitKey)).toBe(false);
    const workloadRead = all.find((call) => call.accessKeyId === TRAIL.legitKey);
    expect(chain.attribute(workloadRead as SignedCall)).toBeUndefined();
    // The stolen key's calls from the instance's address are the workload's too.
    const ownCall = all.find(
      (call) => call.accessKeyId === TRAIL.stolenKey && call.sourceIp === TRAIL.instanceAddress,
    );
    expect(chain.attribute(ownCall as SignedCall)).toBeUndefined();
  });

  it('stops attributing a derived key once it has expired', () => {
    const chain = new TaintChain([root]);
    chain.close(calls(allTrailRecords()));
    const late = readSignedCall({
      ...assumeRole({
        account: TRAIL.accountA,
        key: TRAIL.hop1Key,
        identity: roleSession(TRAIL.hop1Role, 'thief-admin'),
        // The hop-1 session expired at 11:01; this is two hours later.
        time: '2026-11-26T13:00:00Z',
        region: 'us-east-1',
        sourceIp: TRAIL.secondThiefAddress,
        roleArn: TRAIL.hop2Role,
        sessionName: 'again',
        newKey: 'ASIAAFTEREXPIRY00001',
      }),
    }) as SignedCall;
    expect(chain.attribute(late)).toBeUndefined();
    expect(chain.mint(late)).toBeUndefined();
  });

  it('mints nothing from a failed AssumeRole', () => {
    const chain = new TaintChain([root]);
    const record = assumeRole({
      account: TRAIL.accountA,
      key: TRAIL.stolenKey,
      identity: roleSession(`arn:aws:iam::${TRAIL.accountA}:role/${TRAIL.instanceRole}`, TRAIL.instanceId),
      time: '2026-11-26T10:03:00Z',
      region: 'us-east-1',
      sourceIp: TRAIL.thiefAddress,
      roleArn: TRAIL.hop1Role,
      sessionName: 'x',
      newKey: 'ASIANEVERISSUED00001',
    });
    expect(
      chain.mint(readSignedCall({ ...record, errorCode: 'AccessDenied' }) as SignedCall),
    ).toBeUndefined();
    expect(chain.mint(readSignedCall(record) as SignedCall)?.accessKeyId).toBe('ASIANEVERISSUED00001');
  });
});

describe('TaintTracker over the taint store', () => {
  it('keeps the chain across files, regions and accounts and names what the chain left behind', async () => {
    const store = new MemoryTaintStore();
    const tracker = new TaintTracker(store, () => NOW);
    const changes = [];
    // The root comes with the file in which the detector judged the thief's calls; later files carry
    // no root, only the keys kept in the store.
    const [first, ...rest] = filesInDeliveryOrder();
    changes.push(...(await tracker.follow([root], first ?? [])));
    for (const file of rest) changes.push(...(await tracker.follow([], file)));

    const summary = await store.summary(FINDING);
    expect(summary?.derivedSessions.map((session) => [session.accessKeyId, session.roleArn])).toEqual([
      [TRAIL.hop1Key, TRAIL.hop1Role],
      [TRAIL.hop2Key, TRAIL.hop2Role],
    ]);
    expect(summary?.persistence.map((artefact) => [artefact.kind, artefact.id])).toEqual([
      ['access-key', TRAIL.createdAccessKey],
      ['key-pair', TRAIL.keyPairName],
      ['security-group-ingress', TRAIL.securityGroupId],
      ['instance', TRAIL.launchedInstance],
    ]);
    expect(summary?.reads.map((read) => [read.id, read.count])).toEqual([
      [TRAIL.secrets[0], 1],
      [TRAIL.secrets[1], 2],
      [TRAIL.parameter, 1],
    ]);
    // One AssumeRole by hop 1, nine calls by hop 2 (the refused CreateUser included).
    expect(summary?.derivedCallCount).toBe(10);
    expect(changes.filter((change) => change.grew).length).toBeGreaterThanOrEqual(2);
    expect(await store.activeKeys(NOW)).toHaveLength(2);
  });

  it('counts a file delivered twice once', async () => {
    const store = new MemoryTaintStore();
    const tracker = new TaintTracker(store, () => NOW);
    const files = filesInDeliveryOrder();
    await tracker.follow([root], files[0] ?? []);
    for (const file of files.slice(1)) await tracker.follow([], file);
    const before = await store.summary(FINDING);
    for (const file of files.slice(1)) {
      const again = await tracker.follow([], file);
      expect(again.every((change) => !change.grew)).toBe(true);
    }
    expect(await store.summary(FINDING)).toEqual(before);
  });

  it('forgets keys once they expired (plus the late-delivery slack)', async () => {
    const store = new MemoryTaintStore();
    await new TaintTracker(store, () => NOW).follow([root], allTrailRecords());
    expect((await store.activeKeys(NOW)).length).toBe(2);
    // Hop 1 expires 11:01, hop 2 11:05; an hour of slack for late log files.
    expect((await store.activeKeys(Date.parse('2026-11-26T12:03:00Z'))).map((k) => k.accessKeyId)).toEqual([
      TRAIL.hop2Key,
    ]);
    expect(await store.activeKeys(Date.parse('2026-11-26T12:06:00Z'))).toEqual([]);
  });

  it('taints nothing when the finding has no root in the file and no key is followed', async () => {
    const store = new MemoryTaintStore();
    const changes = await new TaintTracker(store, () => NOW).follow([], allTrailRecords());
    expect(changes).toEqual([]);
    expect(await store.activeKeys(NOW)).toEqual([]);
  });
});
