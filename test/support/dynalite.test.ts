import { CreateTableCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { startLocalDynamo, type LocalDynamo } from './dynalite';

describe('startLocalDynamo', () => {
  let dynamo: LocalDynamo;
  beforeAll(async () => {
    dynamo = await startLocalDynamo();
  });
  afterAll(() => dynamo.stop());

  it('serves the DynamoDB protocol on loopback', async () => {
    expect(dynamo.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await dynamo.client.send(
      new CreateTableCommand({
        TableName: 'probe',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
    const tables = await dynamo.client.send(new ListTablesCommand({}));
    expect(tables.TableNames).toContain('probe');
  });
});
