import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  IncidentRecordSchema,
  StepRecordSchema,
  type AuditStore,
  type IncidentRecord,
  type IncidentStatus,
  type StepRecord,
} from './audit-store';

/**
 * The audit table: partition key `pk` (S), sort key `sk` (S), TTL attribute `expiresAt`.
 * `INCIDENT#<id>` holds `PLAN#<mode>`, `ATTEMPTS#<mode>` and `STEP#<mode>#<phase>#<nn>` items; the rate limiter keeps its
 * hourly counters in the same table.
 */
export class DynamoAuditStore implements AuditStore {
  private readonly documents: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.documents = DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true },
    });
  }

  async createIncident(record: IncidentRecord): Promise<boolean> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: incidentKey(record.incidentId), sk: `PLAN#${record.mode}`, ...record },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async getIncident(incidentId: string, mode: IncidentRecord['mode']): Promise<IncidentRecord | null> {
    const result = await this.documents.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: incidentKey(incidentId), sk: `PLAN#${mode}` },
        ConsistentRead: true,
      }),
    );
    return result.Item === undefined ? null : IncidentRecordSchema.parse(result.Item);
  }

  async updateIncidentStatus(
    incidentId: string,
    mode: IncidentRecord['mode'],
    status: IncidentStatus,
    at: string,
    lastError?: string | null,
  ): Promise<void> {
    await this.documents.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: incidentKey(incidentId), sk: `PLAN#${mode}` },
        UpdateExpression: `SET #status = :status, updatedAt = :at${lastError === undefined ? '' : ', lastError = :error'}`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':status': status,
          ':at': at,
          ...(lastError === undefined ? {} : { ':error': lastError }),
        },
      }),
    );
  }

  async recordAttempt(incidentId: string, mode: IncidentRecord['mode'], at: string): Promise<number> {
    // ADD is atomic: two containers on one incident get two different counts.
    const result = await this.documents.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: incidentKey(incidentId), sk: `ATTEMPTS#${mode}` },
        UpdateExpression: 'ADD attempts :one SET lastAttemptAt = :at',
        ExpressionAttributeValues: { ':one': 1, ':at': at },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    const attempts: unknown = result.Attributes?.['attempts'];
    if (typeof attempts !== 'number') throw new Error(`attempt counter of ${incidentId} is not a number`);
    return attempts;
  }

  async putStep(step: StepRecord): Promise<void> {
    await this.documents.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: incidentKey(step.incidentId), sk: stepKey(step), ...step },
      }),
    );
  }

  async listSteps(
    incidentId: string,
    mode: IncidentRecord['mode'],
    phase: StepRecord['phase'],
  ): Promise<StepRecord[]> {
    const steps: StepRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': incidentKey(incidentId), ':prefix': `STEP#${mode}#${phase}#` },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      steps.push(...(page.Items ?? []).map((item) => StepRecordSchema.parse(item)));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return steps.sort((a, b) => a.index - b.index);
  }
}

function incidentKey(incidentId: string): string {
  return `INCIDENT#${incidentId}`;
}

function stepKey(step: StepRecord): string {
  return `STEP#${step.mode}#${step.phase}#${String(step.index).padStart(3, '0')}`;
}
