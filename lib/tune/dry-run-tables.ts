import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { FindingDetailSchema, type FindingDetail } from '../contracts/finding-event';
import { IncidentRecordSchema } from '../responder/audit-store';
import type { ResponsePlan } from '../responder/response-plan';
import { ItemKind, STATE_PARTITION_KEY, STATE_SORT_KEY } from '../state/state-table';

export interface TableRead<T> {
  readonly items: T[];
  /** Items of the right kind that do not parse, each named by its key: reported, never dropped silently. */
  readonly skipped: string[];
}

/**
 * The findings a deployed detector stored in its state table (`FINDING#<id>` / `FINDING` items, kept a
 * week by their TTL). The table has no index by kind, so this is a Scan filtered on the sort key: it
 * reads (and is billed for) the sessions and network cache too, a few hours' worth since their TTL is
 * short. Projected to the key and the detail, so the other items cost read units but little transfer.
 */
export async function scanStateFindings(
  client: DynamoDBClient,
  tableName: string,
): Promise<TableRead<FindingDetail>> {
  const items: FindingDetail[] = [];
  const skipped: string[] = [];
  for await (const page of paginateScan(
    { client: documentsOf(client) },
    {
      TableName: tableName,
      FilterExpression: '#sk = :finding AND begins_with(#pk, :prefix)',
      ProjectionExpression: '#pk, #detail',
      ExpressionAttributeNames: { '#pk': STATE_PARTITION_KEY, '#sk': STATE_SORT_KEY, '#detail': 'detail' },
      ExpressionAttributeValues: { ':finding': ItemKind.Finding, ':prefix': `${ItemKind.Finding}#` },
    },
  )) {
    for (const item of page.Items ?? []) {
      const parsed = FindingDetailSchema.safeParse(item['detail']);
      if (parsed.success) items.push(parsed.data);
      else skipped.push(`${tableName} ${String(item[STATE_PARTITION_KEY])}: not a credtrail finding`);
    }
  }
  return { items, skipped };
}

/**
 * The plans the deployed responder recorded in its audit table: the `PLAN#<mode>` item of each
 * `INCIDENT#<id>` (see DynamoAuditStore). Step records and the rate limiter's counters are filtered out.
 */
export async function scanRecordedPlans(
  client: DynamoDBClient,
  tableName: string,
): Promise<TableRead<ResponsePlan>> {
  const items: ResponsePlan[] = [];
  const skipped: string[] = [];
  for await (const page of paginateScan(
    { client: documentsOf(client) },
    {
      TableName: tableName,
      FilterExpression: 'begins_with(pk, :incident) AND begins_with(sk, :plan)',
      ExpressionAttributeValues: { ':incident': 'INCIDENT#', ':plan': 'PLAN#' },
    },
  )) {
    for (const item of page.Items ?? []) {
      const parsed = IncidentRecordSchema.safeParse(item);
      if (parsed.success) items.push(parsed.data.plan);
      else skipped.push(`${tableName} ${String(item['pk'])} ${String(item['sk'])}: not a recorded plan`);
    }
  }
  return { items, skipped };
}

function documentsOf(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client);
}
