import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { RetryableResponseError } from '../../lib/responder/response-errors';
import { lambdaContext } from '../support/lambda-context';
import { makeIdempotentResponder, processResponderEvent } from '../../lib/responder/responder-lambda';
import { startLocalDynamo, type LocalDynamo } from '../support/dynalite';
import { dependencies, iamMock, mutatingCommands, primeAccount, stsMock } from './aws-mocks';
import { grownEvent, OPS_ROLE } from './chain-world';
import { config, credtrailEvent, outsideAwsEvent } from './responder-fixtures';

const IDEMPOTENCY_TABLE = 'credtrail-idempotency';

describe('responder handler', () => {
  let dynamo: LocalDynamo;
  beforeAll(async () => {
    dynamo = await startLocalDynamo();
    await dynamo.client.send(
      new CreateTableCommand({
        TableName: IDEMPOTENCY_TABLE,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      }),
    );
  });
  afterAll(() => dynamo.stop());
  beforeEach(() => primeAccount());

  it('acts once on an event EventBridge delivers twice', async () => {
    // Prepare
    const deps = dependencies(config({ mode: 'enforce' }));
    const handler = makeIdempotentResponder({
      deps,
      idempotencyTableName: IDEMPOTENCY_TABLE,
      dynamo: dynamo.client,
    });
    const event = structuredClone(credtrailEvent);
    const redelivery = structuredClone(credtrailEvent);
    redelivery.id = 'second-delivery';
    // Act
    const first = await handler(event, lambdaContext('credtrail-responder'));
    const second = await handler(redelivery, lambdaContext('credtrail-responder'));
    // Assess
    expect(first).toEqual(expect.objectContaining({ status: 'completed' }));
    expect(second).toEqual(first);
    expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(2);
  });

  it('caches no failed attempt: the retry after the member role becomes trusted acts', async () => {
    stsMock
      .on(AssumeRoleCommand)
      .rejects(Object.assign(new Error('not trusted yet'), { name: 'AccessDenied' }));
    const deps = dependencies(config({ mode: 'enforce' }));
    const handler = makeIdempotentResponder({
      deps,
      idempotencyTableName: IDEMPOTENCY_TABLE,
      dynamo: dynamo.client,
    });
    const event = structuredClone(credtrailEvent);
    event.detail.findingId = 'a'.repeat(32);
    await expect(handler(event, lambdaContext('credtrail-responder'))).rejects.toBeInstanceOf(
      RetryableResponseError,
    );
    primeAccount();
    const retry = await handler(structuredClone(event), lambdaContext('credtrail-responder'));
    expect(retry).toEqual(expect.objectContaining({ status: 'completed' }));
    expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(2);
  });

  it('does not replay a dry-run answer after the mode is switched to enforce', async () => {
    const event = structuredClone(credtrailEvent);
    event.detail.findingId = 'b'.repeat(32);
    const dryRun = makeIdempotentResponder({
      deps: dependencies(config({ mode: 'dry-run' })),
      idempotencyTableName: IDEMPOTENCY_TABLE,
      dynamo: dynamo.client,
    });
    const enforce = makeIdempotentResponder({
      deps: dependencies(config({ mode: 'enforce' })),
      idempotencyTableName: IDEMPOTENCY_TABLE,
      dynamo: dynamo.client,
    });
    expect(await dryRun(structuredClone(event), lambdaContext('credtrail-responder'))).toEqual(
      expect.objectContaining({ status: 'planned' }),
    );
    expect(await enforce(structuredClone(event), lambdaContext('credtrail-responder'))).toEqual(
      expect.objectContaining({ status: 'completed' }),
    );
    expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(2);
  });

  it('keys a chain-growth update by its chain version: a redelivery replays, a new version is planned', async () => {
    const handler = makeIdempotentResponder({
      deps: dependencies(config({ mode: 'dry-run' })),
      idempotencyTableName: IDEMPOTENCY_TABLE,
      dynamo: dynamo.client,
    });
    const v2 = grownEvent();
    const v3 = grownEvent(OPS_ROLE, 'ASIAHOPTHREEOPS00004');

    const first = await handler(structuredClone(v2), lambdaContext('credtrail-responder'));
    const redelivered = await handler({ ...structuredClone(v2), id: 'again' }, lambdaContext('x'));
    const next = await handler(structuredClone(v3), lambdaContext('credtrail-responder'));

    expect(first).toEqual(expect.objectContaining({ status: 'planned' }));
    // The first answer again (the audit trail alone would have said `duplicate`).
    expect(redelivered).toEqual(first);
    expect(next).toEqual(expect.objectContaining({ status: 'planned' }));
    expect((next as { incidentId: string }).incidentId).not.toBe(
      (first as { incidentId: string }).incidentId,
    );
    expect(mutatingCommands(iamMock)).toEqual([]);
  });

  it('refuses and logs a forged finding, touching nothing', async () => {
    const deps = dependencies(config({ mode: 'enforce' }));
    const warn = jest.spyOn(deps.log, 'warn');
    const forged = structuredClone(outsideAwsEvent);
    forged.detail.accountId = '210987654321';
    const result = await processResponderEvent(forged, deps);
    expect(result.status).toBe('refused');
    expect(warn).toHaveBeenCalledWith('event refused', { reason: expect.stringContaining('not trusted') });
    expect(iamMock.calls()).toHaveLength(0);
    expect(mutatingCommands(iamMock)).toEqual([]);
  });

  it('refuses anything that is not a supported finding', async () => {
    const deps = dependencies(config({ mode: 'enforce' }));
    const result = await processResponderEvent(
      {
        source: 'aws.ec2',
        'detail-type': 'EC2 Instance State-change Notification',
        account: '1',
        region: 'us-east-1',
        detail: {},
      },
      deps,
    );
    expect(result).toEqual({
      status: 'refused',
      incidentId: null,
      reason: expect.stringContaining('unsupported event'),
    });
  });
});
