// The central stack's state: the detector's, the operators' exceptions, the responder's audit trail,
// the idempotency/alert-ledger table, and the findings log group.
import { CfnOutput, RemovalPolicy, type Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as logs from 'aws-cdk-lib/aws-logs';
import {
  EXCEPTIONS_PARTITION_KEY,
  STATE_PARTITION_KEY,
  STATE_SORT_KEY,
  STATE_TTL_ATTRIBUTE,
} from '../state/state-table';

export const FINDINGS_LOG_GROUP_NAME = '/credtrail/findings';
/** Powertools idempotency's table layout (its DynamoDBPersistenceLayer defaults). */
export const IDEMPOTENCY_KEY = 'id';
export const IDEMPOTENCY_TTL_ATTRIBUTE = 'expiration';

export interface StateStores {
  readonly stateTable: dynamodb.Table;
  readonly exceptionsTable: dynamodb.Table;
  readonly auditTable: dynamodb.Table;
  readonly idempotencyTable: dynamodb.Table;
  readonly findingsLogGroup: logs.LogGroup;
}

export function addStateStores(stack: Stack): StateStores {
  const stateTable = addTable(stack, 'StateTable', {
    partitionKey: { name: STATE_PARTITION_KEY, type: dynamodb.AttributeType.STRING },
    sortKey: { name: STATE_SORT_KEY, type: dynamodb.AttributeType.STRING },
    timeToLiveAttribute: STATE_TTL_ATTRIBUTE,
    removalPolicy: RemovalPolicy.DESTROY, // sessions and first origins, hours long: rebuilt from the logs
  });
  const exceptionsTable = addTable(stack, 'ExceptionsTable', {
    partitionKey: { name: EXCEPTIONS_PARTITION_KEY, type: dynamodb.AttributeType.STRING },
    removalPolicy: RemovalPolicy.RETAIN, // operators' tuning, with reasons: never lost with the stack
  });
  const auditTable = addTable(stack, 'AuditTable', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
    timeToLiveAttribute: 'expiresAt', // only the rate limiter's hourly counters carry it
    removalPolicy: RemovalPolicy.RETAIN, // what was changed and the state it replaced: needed for undo
  });
  const idempotencyTable = addTable(stack, 'IdempotencyTable', {
    partitionKey: { name: IDEMPOTENCY_KEY, type: dynamodb.AttributeType.STRING },
    timeToLiveAttribute: IDEMPOTENCY_TTL_ATTRIBUTE,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const findingsLogGroup = new logs.LogGroup(stack, 'FindingsLogGroup', {
    logGroupName: FINDINGS_LOG_GROUP_NAME,
    retention: logs.RetentionDays.ONE_YEAR,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  // What `credtrail tune --state dynamodb:… --audit-table … --table …` reads and writes.
  for (const [id, table, use] of [
    [
      'StateTableName',
      stateTable,
      'State table (findings the detector stored): credtrail tune --state dynamodb:NAME',
    ],
    [
      'AuditTableName',
      auditTable,
      "Audit table (the responder's recorded plans): credtrail tune --audit-table NAME",
    ],
    [
      'ExceptionsTableName',
      exceptionsTable,
      'Exceptions table (accepted origins the detector re-reads): credtrail tune --table NAME',
    ],
  ] as const)
    new CfnOutput(stack, id, { description: use, value: table.tableName });
  return { stateTable, exceptionsTable, auditTable, idempotencyTable, findingsLogGroup };
}

function addTable(stack: Stack, id: string, props: dynamodb.TableProps): dynamodb.Table {
  return new dynamodb.Table(stack, id, {
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    ...props,
  });
}
