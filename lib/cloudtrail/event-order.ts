import type { CredentialEvent } from '../engine/credential-event';

/**
 * Puts events from many files back into event-time order with bounded memory. CloudTrail writes a
 * file per account and region every ~5 minutes, and a file may hold records written well before its
 * delivery, so we hold events and release those older than the newest time seen minus a window.
 * Memory follows the window, not the size of the hunt. An event older than what was already released
 * is still processed, just late, and counted.
 *
 * Events wait in one bucket per distinct time (CloudTrail writes whole seconds, so an hour's window has
 * at most 3,600), and only the times sit in a heap. A heap of the events themselves compared ~30 events
 * scattered in memory for each one released: on the bench's 1.1M-record instance-heavy day (811k events,
 * an hour's window) it took 520–740 ms, the buckets 240–360 ms (in one process, 4 rounds). Within one
 * time, EC2's delivery of a key goes before its uses (as compareEvents orders them) and the rest keep
 * the order they were read in, where the heap left equal times in no particular order.
 */
export class EventReorderBuffer {
  private readonly buckets = new Map<number, CredentialEvent[]>();
  /** The buckets' times, a binary min-heap of plain numbers. */
  private readonly times: number[] = [];
  private held = 0;
  private newest = -Infinity;
  private released = -Infinity;
  lateEvents = 0;

  constructor(private readonly windowMs: number) {}

  push(event: CredentialEvent): void {
    const time = event.eventTime;
    if (time < this.released) this.lateEvents++;
    if (time > this.newest) this.newest = time;
    this.held++;
    const bucket = this.buckets.get(time);
    if (bucket !== undefined) {
      bucket.push(event);
      return;
    }
    this.buckets.set(time, [event]);
    this.pushTime(time);
  }

  /** Events safe to process now, oldest first. */
  drainReady(): CredentialEvent[] {
    return this.drainUntil(this.newest - this.windowMs);
  }

  /** Everything left, oldest first: the input is finished. */
  drainAll(): CredentialEvent[] {
    return this.drainUntil(Infinity);
  }

  get size(): number {
    return this.held;
  }

  private drainUntil(limit: number): CredentialEvent[] {
    const ready: CredentialEvent[] = [];
    while (this.times.length > 0 && (this.times[0] as number) <= limit) {
      const time = this.popTime();
      const bucket = this.buckets.get(time) as CredentialEvent[];
      this.buckets.delete(time);
      this.held -= bucket.length;
      // Deliveries first, in read order; then everything else, in read order.
      for (const event of bucket) if (event.kind === 'delivery') ready.push(event);
      for (const event of bucket) if (event.kind !== 'delivery') ready.push(event);
      if (time > this.released) this.released = time;
    }
    return ready;
  }

  private pushTime(time: number): void {
    const heap = this.times;
    let index = heap.length;
    heap.push(time);
    while (index > 0) {
      const parent = (index - 1) >> 1;
      const above = heap[parent] as number;
      if (above <= time) break;
      heap[index] = above;
      index = parent;
    }
    heap[index] = time;
  }

  private popTime(): number {
    const heap = this.times;
    const top = heap[0] as number;
    const last = heap.pop() as number;
    const length = heap.length;
    if (length === 0) return top;
    let index = 0;
    for (;;) {
      let child = 2 * index + 1;
      if (child >= length) break;
      if (child + 1 < length && (heap[child + 1] as number) < (heap[child] as number)) child++;
      if ((heap[child] as number) >= last) break;
      heap[index] = heap[child] as number;
      index = child;
    }
    heap[index] = last;
    return top;
  }
}
