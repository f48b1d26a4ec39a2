import { execFileSync } from 'node:child_process';

export interface Summary {
  min: number;
  median: number;
  max: number;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export function summary(values: readonly number[]): Summary {
  return { min: Math.min(...values), median: median(values), max: Math.max(...values) };
}

/**
 * Wall time in milliseconds of whole Node processes, `rounds` times each, the commands taking turns
 * within a round so that each round's figures can be compared with one another.
 */
export function pairedWall(
  commands: Record<string, string[]>,
  rounds: number,
  env: NodeJS.ProcessEnv,
): Record<string, number[]> {
  const times: Record<string, number[]> = {};
  for (let round = 0; round < rounds; round++) {
    for (const [name, args] of Object.entries(commands)) {
      const started = process.hrtime.bigint();
      execFileSync(process.execPath, args, { env, stdio: 'ignore' });
      (times[name] ??= []).push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  }
  return times;
}

// Dummy settings, enough for every handler to load (the notifier validates its environment at load).
export const LAMBDA_ENV = {
  ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:111111111111:credtrail-alerts',
  ALERT_LEDGER_TABLE_NAME: 't',
  RESPONDER_SEVERITY_THRESHOLD: '7',
  AWS_REGION: 'us-east-1',
  STATE_TABLE_NAME: 't',
  EXCEPTIONS_TABLE_NAME: 't',
  EVENT_BUS_NAME: 'credtrail',
  FINDINGS_LOG_GROUP_NAME: 'g',
  MEMBER_READ_ROLE_NAME: 'r',
  AUDIT_TABLE_NAME: 't',
  IDEMPOTENCY_TABLE_NAME: 't',
  MEMBER_RESPONSE_ROLE_NAME: 'r',
  RESPONSE_CONFIG: '{}',
};
