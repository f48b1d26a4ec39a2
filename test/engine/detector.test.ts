import { FindingDetailSchema, FindingType } from '../../lib/contracts/finding-event';
import type { CredentialEvent } from '../../lib/engine/credential-event';
import { ExceptionList, type CredentialException } from '../../lib/engine/credential-exception';
import { Detector } from '../../lib/engine/detector';
import type {
  BaselineKind,
  NetworkDirectory,
  NetworkLookup,
  NetworkRequest,
  SessionState,
} from '../../lib/engine/detector-store';
import type { InstanceNetwork } from '../../lib/engine/instance-network';
import type { Origin } from '../../lib/engine/origin';
import { MemoryStore } from '../../lib/state/memory-store';
import { normalizeRecord } from '../../lib/engine/cloudtrail-record';
import { ACCOUNT, INSTANCE, deliveryOf, use, useRecord } from '../support/cloudtrail-records';

const NETWORK: InstanceNetwork = {
  instanceId: INSTANCE,
  accountId: ACCOUNT,
  region: 'us-east-1',
  vpcId: 'vpc-0prod',
  privateIps: ['10.0.1.15'],
  publicIps: [],
  ipv6Addresses: [],
  prefixes: [],
  natGatewayIps: ['52.1.1.1'],
  vpcEndpointIds: ['vpce-0sts'],
  source: 'inventory',
};
const ATTACKER = '185.220.101.7';
const NAT = '52.1.1.1';

class FixedDirectory implements NetworkDirectory {
  lookups = 0;
  constructor(private readonly answers: Record<string, NetworkLookup>) {}
  lookup(): Promise<Map<string, NetworkLookup>> {
    this.lookups++;
    return Promise.resolve(new Map(Object.entries(this.answers)));
  }
}

/** Counts what the detector asks of its store, to prove a warm repeat costs nothing. */
class CountingStore extends MemoryStore {
  calls = 0;
  override getSessions(keys: readonly string[]) {
    this.calls++;
    return super.getSessions(keys);
  }
  override claimBaseline(session: SessionState, kind: BaselineKind, origin: Origin) {
    this.calls++;
    return super.claimBaseline(session, kind, origin);
  }
}

function detectorWith(options: {
  network?: NetworkLookup;
  exceptions?: CredentialException[];
  store?: MemoryStore;
  clock?: () => number;
  trusted?: string[];
}) {
  const store = options.store ?? new MemoryStore();
  const directory = new FixedDirectory(options.network === undefined ? {} : { [INSTANCE]: options.network });
  const detector = new Detector({
    store,
    networks: directory,
    exceptions: new ExceptionList(options.exceptions ?? []),
    trustedAccounts: new Set(options.trusted ?? [ACCOUNT]),
    clock: options.clock ?? (() => Date.parse('2026-11-26T12:00:00Z')),
  });
  return { detector, store, directory };
}

const inventory: NetworkLookup = { status: 'found', network: NETWORK };

describe('Detector', () => {
  it('reports one finding per (key, origin), and later sightings update it', async () => {
    const { detector } = detectorWith({ network: inventory });
    const first: CredentialEvent[] = [
      use({ sourceIp: NAT, eventTime: '2026-11-26T10:00:00Z' }),
      use({ sourceIp: ATTACKER, eventTime: '2026-11-26T10:01:00Z', eventName: 'GetCallerIdentity' }),
      use({ sourceIp: ATTACKER, eventTime: '2026-11-26T10:02:00Z', eventName: 'ListBuckets' }),
    ];

    const batch1 = await detector.process(first);
    const batch2 = await detector.process([
      use({ sourceIp: ATTACKER, eventTime: '2026-11-26T11:00:00Z', eventName: 'GetObject' }),
    ]);

    expect(batch1.findings).toHaveLength(1);
    expect(batch1.findings[0]).toEqual(expect.objectContaining({ created: true, previousEventCount: 0 }));
    const created = FindingDetailSchema.parse(batch1.findings[0]?.detail);
    expect(created).toEqual(
      expect.objectContaining({
        type: FindingType.UnexpectedOrigin,
        severity: 'HIGH',
        severityScore: 8,
        sourceIp: ATTACKER,
        instanceId: INSTANCE,
        eventCount: 2,
        eventNames: ['GetCallerIdentity', 'ListBuckets'],
        firstSeen: '2026-11-26T10:01:00.000Z',
        lastSeen: '2026-11-26T10:02:00.000Z',
      }),
    );
    expect(created.expected).toEqual(
      expect.objectContaining({ source: 'inventory', natGatewayIps: [NAT], vpcId: 'vpc-0prod' }),
    );
    expect(batch2.findings).toEqual([
      expect.objectContaining({
        created: false,
        previousEventCount: 2,
        detail: expect.objectContaining({
          findingId: created.findingId,
          eventCount: 3,
          lastSeen: '2026-11-26T11:00:00.000Z',
        }),
      }),
    ]);
  });

  it('with inventory, blames an attacker who uses a fresh key before the instance does', async () => {
    const { detector } = detectorWith({ network: inventory });

    const result = await detector.process([
      deliveryOf({ accessKeyId: 'ASIAFRESH', eventTime: '2026-11-26T10:00:00Z' }),
      use({ accessKeyId: 'ASIAFRESH', sourceIp: ATTACKER, eventTime: '2026-11-26T10:00:30Z' }),
      use({ accessKeyId: 'ASIAFRESH', sourceIp: NAT, eventTime: '2026-11-26T10:03:00Z' }),
    ]);

    expect(result.findings.map((f) => f.detail.sourceIp)).toEqual([ATTACKER]);
    expect(result.findings[0]?.detail.keyIssuedAt).toBe('2026-11-26T10:00:00.000Z');
  });

  it('without inventory, flags an origin that differs from the key first one', async () => {
    const { detector } = detectorWith({});

    const result = await detector.process([
      use({ sourceIp: NAT, eventTime: '2026-11-26T10:00:00Z' }),
      use({ sourceIp: NAT, eventTime: '2026-11-26T10:05:00Z' }),
      use({ sourceIp: ATTACKER, eventTime: '2026-11-26T10:06:00Z' }),
    ]);

    expect(result.findings).toHaveLength(1);
    expect(result.findings[0]?.detail).toEqual(
      expect.objectContaining({
        sourceIp: ATTACKER,
        severity: 'HIGH',
        expected: expect.objectContaining({ source: 'first-seen', firstOrigin: NAT }),
      }),
    );
  });

  it('without inventory, keeps separate first origins for IPv4 and IPv6: a dual-stack instance is no theft', async () => {
    const { detector } = detectorWith({});

    const result = await detector.process([
      use({ sourceIp: NAT, eventTime: '2026-11-26T10:00:00Z' }),
      use({ sourceIp: '2600:1f18:abcd::15', eventTime: '2026-11-26T10:01:00Z' }),
      use({ sourceIp: NAT, eventTime: '2026-11-26T10:02:00Z' }),
      use({ sourceIp: '2a01:4f8::666', eventTime: '2026-11-26T10:03:00Z' }),
    ]);

    expect(result.findings.map((f) => f.detail.sourceIp)).toEqual(['2a01:4f8::666']);
    expect(result.findings[0]?.detail.expected.firstOrigin).toBe('2600:1f18:abcd::15');
  });

  it('without inventory, an attacker who is first makes the instance look odd (why inventory wins)', async () => {
    const { detector } = detectorWith({});

    const result = await detector.process([
      use({ sourceIp: ATTACKER, eventTime: '2026-11-26T10:00:00Z' }),
      use({ sourceIp: NAT, eventTime: '2026-11-26T10:05:00Z' }),
    ]);

    expect(result.findings.map((f) => f.detail.sourceIp)).toEqual([NAT]);
  });

  it('catches an old, rotated but still valid key used from elsewhere', async () => {
    const { detector } = detectorWith({ network: inventory });

    const result = await detector.process([
      deliveryOf({ accessKeyId: 'ASIAOLD', eventTime: '2026-11-26T08:00:00Z' }),
      use({ accessKeyId: 'ASIAOLD', sourceIp: NAT, eventTime: '2026-11-26T08:10:00Z' }),
      deliveryOf({ accessKeyId: 'ASIANEW', eventTime: '2026-11-26T09:00:00Z' }),
      use({ accessKeyId: 'ASIANEW', sourceIp: NAT, eventTime: '2026-11-26T09:10:00Z' }),
      use({ accessKeyId: 'ASIAOLD', sourceIp: ATTACKER, eventTime: '2026-11-26T12:30:00Z' }),
    ]);

    expect(result.findings).toHaveLength(1);
    expect(result.findings[0]?.detail).toEqual(
      expect.objectContaining({ accessKeyId: 'ASIAOLD', keyIssuedAt: '2026-11-26T08:00:00.000Z' }),
    );
  });

  it('counts one eventID once, even when it arrives by two paths', async () => {
    const { detector } = detectorWith({ network: inventory });
    const call = use({ sourceIp: ATTACKER, eventId: 'same-event' });

    await detector.process([call]);
    const replay = await detector.process([call]);

    expect(replay.stats).toEqual(expect.objectContaining({ duplicates: 1, suspicious: 0 }));
    // The repeat counts nothing but still names its finding, so a caller can announce it if nobody has.
    expect(replay.findings).toEqual([
      expect.objectContaining({ created: false, detail: expect.objectContaining({ eventCount: 1 }) }),
    ]);
  });

  it('counts an eventID only once the store has saved it: a failed save leaves it for the retry', async () => {
    const store = new MemoryStore();
    let failNext = true;
    const save = store.saveFindings.bind(store);
    store.saveFindings = (observations) => {
      if (!failNext) return save(observations);
      failNext = false;
      return Promise.reject(new Error('ProvisionedThroughputExceededException'));
    };
    const { detector } = detectorWith({ network: inventory, store });
    const call = use({ sourceIp: ATTACKER, eventId: 'retried-event' });

    await expect(detector.process([call])).rejects.toThrow('ProvisionedThroughputExceededException');
    const retry = await detector.process([call]);

    expect(retry.stats).toEqual(expect.objectContaining({ suspicious: 1, duplicates: 0 }));
    expect(retry.findings).toEqual([
      expect.objectContaining({ created: true, detail: expect.objectContaining({ eventCount: 1 }) }),
    ]);
  });

  it('reports IMDSv1 delivery once per instance, as LOW', async () => {
    const { detector } = detectorWith({ network: inventory });

    const first = await detector.process([
      use({ sourceIp: NAT, roleDelivery: '1.0' }),
      use({ sourceIp: NAT, roleDelivery: '1.0' }),
    ]);
    const later = await detector.process([
      use({ sourceIp: NAT, roleDelivery: '1.0', accessKeyId: 'ASIAOTHERKEY' }),
    ]);
    const imdsv2 = await detectorWith({ network: inventory }).detector.process([
      use({ sourceIp: NAT, roleDelivery: '2.0' }),
    ]);

    expect(first.findings).toEqual([
      expect.objectContaining({
        created: true,
        detail: expect.objectContaining({ type: FindingType.Imdsv1Delivery, severity: 'LOW', eventCount: 2 }),
      }),
    ]);
    expect(later.findings).toEqual([
      expect.objectContaining({ created: false, detail: expect.objectContaining({ eventCount: 3 }) }),
    ]);
    expect(imdsv2.findings).toEqual([]);
  });

  it('does not report IMDSv1 for the instance identity role alone', async () => {
    const { detector } = detectorWith({ network: inventory });
    const identityCall = useRecord({ sourceIp: NAT, roleDelivery: '1.0' });
    const identity = identityCall['userIdentity'] as Record<string, unknown>;
    identity['principalId'] = `${ACCOUNT}:aws:ec2-instance:${INSTANCE}`;
    const normalized = normalizeRecord(identityCall);

    const result = await detector.process(normalized.status === 'event' ? [normalized.event] : []);

    expect(result.stats.credentialUses).toBe(1);
    expect(result.findings).toEqual([]);
  });

  it('lets an instance exception silence the IMDSv1 finding too', async () => {
    const { detector } = detectorWith({
      network: inventory,
      exceptions: [{ instanceId: INSTANCE, reason: 'legacy box, ticket OPS-1' }],
    });

    const result = await detector.process([use({ sourceIp: ATTACKER, roleDelivery: '1.0' })]);

    expect(result.findings).toEqual([]);
    expect(result.stats.suppressed).toBe(1);
  });

  it('stops suppressing when an exception expires, even for a pair it has judged before', async () => {
    let now = Date.parse('2026-11-26T12:00:00Z');
    const { detector } = detectorWith({
      network: inventory,
      exceptions: [{ cidr: '185.220.101.0/24', reason: 'pentest window', expiresAt: '2026-11-26T13:00:00Z' }],
      clock: () => now,
    });

    const during = await detector.process([use({ sourceIp: ATTACKER })]);
    now = Date.parse('2026-11-26T13:00:01Z');
    const after = await detector.process([use({ sourceIp: ATTACKER })]);

    expect(during.findings).toEqual([]);
    expect(after.findings).toHaveLength(1);
  });

  it('judges against whichever first origin won a race with another worker', async () => {
    class LosingStore extends MemoryStore {
      override claimBaseline(): Promise<Origin> {
        return Promise.resolve({ kind: 'address', sourceIp: NAT });
      }
    }
    const { detector } = detectorWith({ store: new LosingStore() });

    const result = await detector.process([use({ sourceIp: ATTACKER })]);

    expect(result.findings.map((f) => f.detail.sourceIp)).toEqual([ATTACKER]);
  });

  it('falls back to first-seen when the network lookup fails, and says so', async () => {
    const { detector } = detectorWith({
      network: { status: 'failed', reason: 'AccessDenied on ec2:DescribeInstances' },
    });

    const result = await detector.process([
      use({ sourceIp: NAT }),
      use({ sourceIp: ATTACKER, eventTime: '2026-11-26T10:01:00Z' }),
    ]);

    expect(result.findings[0]?.detail.expected).toEqual(
      expect.objectContaining({
        source: 'first-seen',
        note: expect.stringContaining('AccessDenied on ec2:DescribeInstances'),
      }),
    );
  });

  it('costs no store request for a (key, origin) pair it has already judged', async () => {
    const store = new CountingStore();
    const { detector, directory } = detectorWith({ store });
    await detector.process([use({ sourceIp: NAT }), use({ sourceIp: ATTACKER })]);
    const callsAfterWarmUp = store.calls;
    const lookupsAfterWarmUp = directory.lookups;

    await detector.process([use({ sourceIp: NAT }), use({ sourceIp: NAT }), use({ sourceIp: ATTACKER })]);

    expect(callsAfterWarmUp).toBeGreaterThan(0);
    expect(store.calls).toBe(callsAfterWarmUp);
    expect(directory.lookups).toBe(lookupsAfterWarmUp);
  });

  it('with a known network reads no session for expected calls, and one for a suspicious pair', async () => {
    const store = new CountingStore();
    await store.putDeliveries([
      {
        accessKeyId: 'ASIAKNOWN',
        instanceId: INSTANCE,
        roleArn: 'arn:aws:iam::111111111111:role/web-app-role',
        accountId: ACCOUNT,
        region: 'us-east-1',
        issuedAt: Date.parse('2026-11-26T09:00:00Z'),
        baselines: {},
      },
    ]);
    const { detector } = detectorWith({ store, network: inventory });

    const expected = await detector.process([
      use({ accessKeyId: 'ASIAKNOWN', sourceIp: NAT }),
      use({ accessKeyId: 'ASIAOTHER', sourceIp: NAT }),
    ]);
    const readsForExpected = store.calls;
    const suspicious = await detector.process([use({ accessKeyId: 'ASIAKNOWN', sourceIp: ATTACKER })]);

    expect(expected.findings).toEqual([]);
    expect(readsForExpected).toBe(0);
    expect(store.calls).toBe(1);
    expect(suspicious.findings[0]?.detail.keyIssuedAt).toBe('2026-11-26T09:00:00.000Z');
  });

  it('asks again for a network whose lookup failed, after a few minutes', async () => {
    let now = Date.parse('2026-11-26T12:00:00Z');
    const { detector, directory } = detectorWith({
      network: { status: 'failed', reason: 'Throttling' },
      clock: () => now,
    });

    await detector.process([use({ sourceIp: NAT })]);
    await detector.process([use({ sourceIp: ATTACKER })]);
    const lookupsBefore = directory.lookups;
    now += 6 * 60_000;
    await detector.process([use({ sourceIp: '52.9.9.9' })]);

    expect(lookupsBefore).toBe(1);
    expect(directory.lookups).toBe(2);
  });

  it('checks a suspicious origin against a fresh network when its own is old: a new NAT address is no theft', async () => {
    let now = Date.parse('2026-11-26T12:00:00Z');
    const requests: NetworkRequest[][] = [];
    let natGatewayIps = [NAT];
    const directory: NetworkDirectory = {
      lookup: (batch) => {
        requests.push([...batch]);
        return Promise.resolve(
          new Map([[INSTANCE, { status: 'found', network: { ...NETWORK, natGatewayIps } } as const]]),
        );
      },
    };
    const make = (networkRefreshMs?: number) =>
      new Detector({
        store: new MemoryStore(),
        networks: directory,
        exceptions: new ExceptionList([]),
        trustedAccounts: new Set([ACCOUNT]),
        clock: () => now,
        ...(networkRefreshMs === undefined ? {} : { networkRefreshMs }),
      });
    const refreshing = make(15 * 60_000);
    const frozen = make();
    await refreshing.process([use({ sourceIp: NAT })]);
    await frozen.process([use({ sourceIp: NAT })]);

    now += 20 * 60_000;
    natGatewayIps = [NAT, '52.1.1.99'];
    const refreshed = await refreshing.process([use({ sourceIp: '52.1.1.99' })]);
    const stale = await frozen.process([use({ sourceIp: '52.1.1.99' })]);

    expect(refreshed.findings).toEqual([]);
    expect(requests.some((batch) => batch.some((request) => request.fresh === true))).toBe(true);
    expect(stale.findings).toHaveLength(1);
  });

  it('treats an endpoint of an account receiving the logs as affiliated when told to trust recipients', async () => {
    const affiliatedCall = (detector: Detector) =>
      detector.process([
        use({ sourceIp: '10.9.0.1', vpcEndpointId: 'vpce-0shared', vpcEndpointAccountId: '333333333333' }),
        use({
          accountId: '333333333333',
          instanceId: 'i-0other',
          accessKeyId: 'ASIAOTHER',
          sourceIp: '52.9.9.9',
        }),
      ]);
    const make = (trustRecipientAccounts: boolean) =>
      new Detector({
        store: new MemoryStore(),
        networks: new FixedDirectory({ [INSTANCE]: inventory }),
        exceptions: new ExceptionList([]),
        trustedAccounts: new Set([ACCOUNT]),
        trustRecipientAccounts,
        clock: () => Date.parse('2026-11-26T12:00:00Z'),
      });

    const trusting = make(true);
    await trusting.process([
      use({
        accountId: '333333333333',
        instanceId: 'i-0other',
        accessKeyId: 'ASIAOTHER',
        sourceIp: '52.9.9.9',
      }),
    ]);
    const trusted = await affiliatedCall(trusting);
    const strict = await affiliatedCall(make(false));

    expect(trusted.findings[0]?.detail.severity).toBe('MEDIUM');
    expect(strict.findings[0]?.detail.severity).toBe('HIGH');
  });
});
