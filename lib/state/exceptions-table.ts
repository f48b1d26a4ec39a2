import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, paginateScan } from '@aws-sdk/lib-dynamodb';
import {
  CredentialExceptionSchema,
  EXCEPTION_MATCHERS,
  type CredentialException,
} from '../engine/credential-exception';
import { EXCEPTIONS_PARTITION_KEY } from './state-table';

// The attributes an exception item may carry; anything else on the item (who added it, a ticket
// link) is the operator's business and ignored, because the engine's schema is strict.
// Every matcher the schema knows: a matcher dropped here would widen the exception.
const EXCEPTION_FIELDS = [...EXCEPTION_MATCHERS, 'reason', 'expiresAt'] as const;

export interface RejectedException {
  readonly exceptionId: string;
  readonly problem: string;
}

export interface LoadedExceptions {
  readonly exceptions: CredentialException[];
  /** Items that do not parse: reported and skipped, so one typo does not blind the detector. */
  readonly rejected: RejectedException[];
}

/** The exceptions table: one item per exception, keyed by a free-form `exceptionId`. Small; read by Scan. */
export class ExceptionsTable {
  private readonly documents: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.documents = DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true },
    });
  }

  async load(): Promise<LoadedExceptions> {
    const exceptions: CredentialException[] = [];
    const rejected: RejectedException[] = [];
    for await (const page of paginateScan({ client: this.documents }, { TableName: this.tableName })) {
      for (const item of page.Items ?? []) {
        const exceptionId = String(item[EXCEPTIONS_PARTITION_KEY]);
        const fields = Object.fromEntries(
          EXCEPTION_FIELDS.filter((f) => item[f] !== undefined).map((f) => [f, item[f]]),
        );
        const parsed = CredentialExceptionSchema.safeParse(fields);
        if (parsed.success) exceptions.push(parsed.data);
        else
          rejected.push({
            exceptionId,
            problem: parsed.error.issues.map((issue) => issue.message).join('; '),
          });
      }
    }
    // Scan order is arbitrary; a stable order keeps "the first matching exception" stable too.
    exceptions.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    return { exceptions, rejected };
  }

  async put(exceptionId: string, exception: CredentialException): Promise<void> {
    await this.documents.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { [EXCEPTIONS_PARTITION_KEY]: exceptionId, ...exception },
      }),
    );
  }

  /**
   * Adds an exception under a new id, never replacing an item: false when the id is taken (a second run
   * of the same tuning, or an operator's entry). `provenance` attributes are notes the detector ignores.
   */
  async putNew(
    exceptionId: string,
    exception: CredentialException,
    provenance: { readonly addedBy: string; readonly addedAt: string },
  ): Promise<boolean> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...provenance, ...exception, [EXCEPTIONS_PARTITION_KEY]: exceptionId },
          ConditionExpression: 'attribute_not_exists(#id)',
          ExpressionAttributeNames: { '#id': EXCEPTIONS_PARTITION_KEY },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
