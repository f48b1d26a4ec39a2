import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import type { IncidentRecord, StepRecord } from '../../lib/responder/audit-store';
import { DynamoAuditStore } from '../../lib/responder/dynamo-audit-store';
import { normaliseEvent } from '../../lib/responder/incident-normaliser';
import { DynamoRateLimiter } from '../../lib/responder/rate-limiter';
import { planResponse } from '../../lib/responder/response-planner';
import { startLocalDynamo, type LocalDynamo } from '../support/dynalite';
import { config, NOW, observedState, outsideAwsEvent } from './responder-fixtures';

const TABLE = 'credtrail-audit';

function incidentRecord(): IncidentRecord {
  const normalised = normaliseEvent(structuredClone(outsideAwsEvent), { trustedPublisherAccounts: [] });
  if (!normalised.ok) throw new Error(normalised.reason);
  const plan = planResponse({
    incident: normalised.incident,
    config: config(),
    observed: observedState(),
    now: NOW,
    responderRoleNames: [],
  });
  return {
    incidentId: normalised.incident.incidentId,
    mode: 'enforce',
    status: 'in-progress',
    plan,
    createdAt: NOW.toISOString(),
    updatedAt: NOW.toISOString(),
    lastError: null,
  };
}

describe('DynamoAuditStore and DynamoRateLimiter against dynalite', () => {
  let dynamo: LocalDynamo;
  beforeAll(async () => {
    dynamo = await startLocalDynamo();
    await dynamo.client.send(
      new CreateTableCommand({
        TableName: TABLE,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
    );
  });
  afterAll(() => dynamo.stop());

  it('creates an incident once per mode and reads it back', async () => {
    // Prepare
    const store = new DynamoAuditStore(dynamo.client, TABLE);
    const record = incidentRecord();
    // Act
    const first = await store.createIncident(record);
    const again = await store.createIncident(record);
    const dryRun = await store.createIncident({ ...record, mode: 'dry-run' });
    await store.updateIncidentStatus(record.incidentId, 'enforce', 'completed', '2026-11-20T12:41:00.000Z');
    // Assess
    expect([first, again, dryRun]).toEqual([true, false, true]);
    expect(await store.getIncident(record.incidentId, 'enforce')).toEqual({
      ...record,
      status: 'completed',
      updatedAt: '2026-11-20T12:41:00.000Z',
    });
    expect(await store.getIncident('inc-none', 'enforce')).toBeNull();
  });

  it('keeps steps per mode and phase, in order', async () => {
    const store = new DynamoAuditStore(dynamo.client, TABLE);
    const record = incidentRecord();
    const step = (index: number, phase: StepRecord['phase']): StepRecord => ({
      incidentId: record.incidentId,
      mode: 'enforce',
      phase,
      index,
      action: 'revoke-sessions',
      status: 'applied',
      reason: 'r',
      calls: record.plan.steps[0]?.calls ?? [],
      priorState: record.plan.steps[0]?.priorState ?? { kind: 'none' },
      appliedCalls: 1,
      outputs: {},
      error: null,
      at: NOW.toISOString(),
    });
    await store.putStep(step(1, 'respond'));
    await store.putStep(step(0, 'respond'));
    await store.putStep(step(0, 'undo'));
    const steps = await store.listSteps(record.incidentId, 'enforce', 'respond');
    expect(steps.map((s) => s.index)).toEqual([0, 1]);
    expect(steps[0]).toEqual(step(0, 'respond'));
  });

  it('counts incidents per hour atomically and refuses past the maximum', async () => {
    const limiter = new DynamoRateLimiter(dynamo.client, TABLE);
    const decisions = await Promise.all([1, 2, 3, 4].map(() => limiter.tryAcquire(NOW, 3)));
    const nextHour = await limiter.tryAcquire(new Date('2026-11-20T13:00:00Z'), 3);
    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(3);
    expect(decisions.filter((decision) => !decision.allowed)).toHaveLength(1);
    expect(nextHour).toEqual({ allowed: true, count: 1 });
  });

  it('counts attempts atomically across containers, per mode, without touching the plan record', async () => {
    const store = new DynamoAuditStore(dynamo.client, TABLE);
    const other = new DynamoAuditStore(dynamo.client, TABLE);
    const id = 'inc-attempts';
    const counts = await Promise.all(
      [store, other, store, other].map((s) => s.recordAttempt(id, 'enforce', 't')),
    );
    expect([...counts].sort()).toEqual([1, 2, 3, 4]);
    expect(await store.recordAttempt(id, 'dry-run', 't')).toBe(1);
    expect(await store.getIncident(id, 'enforce')).toBeNull();
    expect(await store.listSteps(id, 'enforce', 'respond')).toEqual([]);
  });
});
