/** What one batch of events came to: the counts the CLI prints and the Lambda reports as metrics. */
export interface BatchStats {
  credentialUses: number;
  deliveries: number;
  expected: number;
  suppressed: number;
  suspicious: number;
  /** Suspicious events already counted (the same eventID arriving twice). */
  duplicates: number;
}

export function emptyBatchStats(): BatchStats {
  return { credentialUses: 0, deliveries: 0, expected: 0, suppressed: 0, suspicious: 0, duplicates: 0 };
}

/** Adds one batch's counts to a running total. */
export function addBatchStats(total: BatchStats, batch: BatchStats): void {
  for (const key of Object.keys(batch) as (keyof BatchStats)[]) total[key] += batch[key];
}
