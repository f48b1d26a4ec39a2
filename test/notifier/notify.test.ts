import { CreateTableCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { AlertLedgerGateway, CLAIM_LEASE_MS } from '../../lib/notifier/alert-ledger-gateway';
import { createNotifierHandler } from '../../lib/notifier/notifier-app';
import { notify, type NotifierDependencies } from '../../lib/notifier/notify';
import { SnsGateway } from '../../lib/notifier/sns-gateway';
import { startLocalDynamo, type LocalDynamo } from '../support/dynalite';
import { chainVersionOf } from '../../lib/contracts/chain-version';
import { FINDING_UPDATE_DETAIL_TYPE, type TaintSummary } from '../../lib/contracts/finding-event';
import { chainTaint, loadEvent, responseConfig } from './fixtures';

const TOPIC = 'arn:aws:sns:us-east-1:111111111111:credtrail-alerts';
const snsMock = mockClient(SNSClient);
let dynamo: LocalDynamo;
let tableCount = 0;

async function createLedgerTable(): Promise<string> {
  tableCount += 1;
  const name = `idempotency-${tableCount}`;
  await dynamo.client.send(
    new CreateTableCommand({
      TableName: name,
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  return name;
}

async function dependencies(
  now: () => Date = () => new Date('2026-11-20T12:45:00Z'),
): Promise<NotifierDependencies & { tableName: string }> {
  const tableName = await createLedgerTable();
  return {
    tableName,
    ledger: new AlertLedgerGateway(dynamo.client, tableName),
    publisher: new SnsGateway(new SNSClient({ region: 'us-east-1' }), TOPIC),
    context: { config: responseConfig(), severityThreshold: 7 },
    now,
  };
}

beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(async () => {
  await dynamo.stop();
});
afterEach(() => {
  snsMock.reset();
});

describe('notify', () => {
  it('publishes one email per finding: a re-sent GuardDuty finding does not re-alert', async () => {
    // Prepare
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const deps = await dependencies();
    const first = loadEvent('instance-credential-exfiltration-outside-aws.json');
    const resent = structuredClone(first);
    (resent.detail['service'] as Record<string, unknown>)['count'] = 60;

    // Act
    const outcomes = [await notify(first, deps), await notify(resent, deps)];

    // Assess
    expect(outcomes.map((o) => o.status)).toEqual(['sent', 'duplicate']);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(1);
    const input = snsMock.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(input?.TopicArn).toBe(TOPIC);
    expect(input?.Subject).toContain('WebAppRole');
    expect(input?.Message).toContain('WHAT HAPPENED');
  });

  it('gives the claim back when SNS fails, so the retry sends the email', async () => {
    snsMock.on(PublishCommand).rejectsOnce(new Error('throttled')).resolves({ MessageId: 'm-2' });
    const deps = await dependencies();
    const event = loadEvent('credtrail-finding-unexpected-origin.json');

    await expect(notify(event, deps)).rejects.toThrow('throttled');
    const retry = await notify(event, deps);

    expect(retry.status).toBe('sent');
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(2);
  });

  it('lets a later delivery take over a claim whose lease ran out (a Lambda died mid-send)', async () => {
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-3' });
    let now = new Date('2026-11-20T12:45:00Z');
    const deps = await dependencies(() => now);
    const key = 'finding/credtrail.detector/0f4b6a1c2d3e4f5061728394a5b6c7d8';
    await deps.ledger.claim(key, now);

    const during = await notify(loadEvent('credtrail-finding-unexpected-origin.json'), deps);
    now = new Date(now.getTime() + CLAIM_LEASE_MS + 1000);
    const after = await notify(loadEvent('credtrail-finding-unexpected-origin.json'), deps);

    expect([during.status, after.status]).toEqual(['duplicate', 'sent']);
  });

  it('records sent alerts with a TTL in the idempotency table', async () => {
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-4' });
    const deps = await dependencies();
    const table = deps.tableName;

    await notify(loadEvent('credtrail-finding-unexpected-origin.json'), deps);

    const item = await dynamo.client.send(
      new GetItemCommand({
        TableName: table,
        Key: { id: { S: 'notifier#finding/credtrail.detector/0f4b6a1c2d3e4f5061728394a5b6c7d8' } },
      }),
    );
    expect(item.Item?.['status']?.S).toBe('sent');
    expect(Number(item.Item?.['expiration']?.N)).toBeGreaterThan(Date.parse('2026-11-20T12:45:00Z') / 1000);
  });

  it('sends nothing for an applied step result', async () => {
    const deps = await dependencies();
    const applied = loadEvent('responder-step-failed.json');
    applied.detail['status'] = 'applied';

    const outcome = await notify(applied, deps);

    expect(outcome.status).toBe('skipped');
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
  });
});

describe('createNotifierHandler', () => {
  const env = {
    ALERT_TOPIC_ARN: TOPIC,
    ALERT_LEDGER_TABLE_NAME: 'unused',
    RESPONSE_CONFIG: '{}',
    RESPONDER_SEVERITY_THRESHOLD: '7',
  };
  const logger = { info: jest.fn() };

  it('fails at cold start when the environment is incomplete', () => {
    const incomplete: Record<string, string> = { ...env };
    delete incomplete['ALERT_TOPIC_ARN'];

    expect(() =>
      createNotifierHandler(incomplete, { dynamo: dynamo.client, sns: new SNSClient({}), logger }),
    ).toThrow(/ALERT_TOPIC_ARN/);
  });

  it('renders, publishes and logs the outcome', async () => {
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-5' });
    const table = await createLedgerTable();
    const handler = createNotifierHandler(
      { ...env, ALERT_LEDGER_TABLE_NAME: table },
      { dynamo: dynamo.client, sns: new SNSClient({ region: 'us-east-1' }), logger },
    );

    const outcome = await handler(loadEvent('responder-plan-dry-run.json'));

    expect(outcome).toMatchObject({ status: 'sent', messageId: 'm-5' });
    expect(logger.info).toHaveBeenCalledWith('notification', { outcome });
  });

  describe('chain growth (issue 17): one email per chain version', () => {
    const grownTaint = (): TaintSummary => ({
      ...chainTaint,
      derivedSessions: [
        ...chainTaint.derivedSessions,
        {
          accessKeyId: 'ASIAHOPTWODEPLOY0002',
          parentAccessKeyId: 'ASIAHOPONEADMIN00001',
          via: 'AssumeRole',
          roleArn: 'arn:aws:iam::222222222222:role/deploy-role',
          sessionName: 'thief-deploy',
          accountId: '222222222222',
          region: 'eu-west-1',
          mintedAt: '2026-11-26T10:04:00.000Z',
          expiresAt: '2026-11-26T11:04:00.000Z',
        },
      ],
    });
    function event(taint: TaintSummary, kind: 'new' | 'chain-growth' | 'counts') {
      const finding = loadEvent('credtrail-finding-unexpected-origin.json');
      Object.assign(finding.detail, { taint, chainVersion: chainVersionOf(taint) });
      if (kind === 'new') return finding;
      finding['detail-type'] = FINDING_UPDATE_DETAIL_TYPE;
      finding.detail['change'] = kind;
      return finding;
    }
    const sent = () => snsMock.commandCalls(PublishCommand).map((call) => call.args[0].input);

    it('emails a version once however often it is delivered, a new version once more with only its news', async () => {
      snsMock.on(PublishCommand).resolves({ MessageId: 'm-chain' });
      const deps = await dependencies();

      const outcomes = [
        await notify(event(chainTaint, 'new'), deps),
        await notify(event(chainTaint, 'chain-growth'), deps),
        await notify(event(chainTaint, 'chain-growth'), deps),
        await notify(event(grownTaint(), 'chain-growth'), deps),
        await notify(event(grownTaint(), 'chain-growth'), deps),
      ];

      expect(outcomes.map((o) => o.status)).toEqual(['sent', 'sent', 'duplicate', 'sent', 'duplicate']);
      const [, firstUpdate, secondUpdate] = sent();
      expect(firstUpdate?.Subject).toContain('what the WebAppRole key did, updated (2 items)');
      // What the first email showed is not news again.
      expect(firstUpdate?.Message).toContain('nothing not shown in an earlier email');
      expect(secondUpdate?.Subject).toContain('updated (3 items)');
      expect(secondUpdate?.Message).toContain('new session ASIAHOPTWODEPLOY0002: AssumeRole');
      expect(secondUpdate?.Message).not.toContain('new session ASIAHOPONEADMIN00001');
      expect(secondUpdate?.Message).not.toContain('new access-key');
      // The chain as it stands follows the news.
      expect(secondUpdate?.Message).toContain('WHAT THE KEY DID');
    });

    it('lists every item as new when no earlier email recorded the chain', async () => {
      snsMock.on(PublishCommand).resolves({ MessageId: 'm-chain' });
      const deps = await dependencies();

      await notify(event(grownTaint(), 'chain-growth'), deps);

      const message = sent()[0]?.Message ?? '';
      expect(message).toContain('new session ASIAHOPONEADMIN00001');
      expect(message).toContain('new session ASIAHOPTWODEPLOY0002');
      expect(message).toContain('new access-key AKIAPERSISTENT000001 (user backup-bot)');
    });

    it('sends nothing for an update in which only counts moved', async () => {
      const deps = await dependencies();

      const outcome = await notify(event(grownTaint(), 'counts'), deps);

      expect(outcome.status).toBe('skipped');
      expect(sent()).toEqual([]);
    });
  });
});
