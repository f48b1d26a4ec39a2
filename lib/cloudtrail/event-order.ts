import { compareEvents, type CredentialEvent } from '../engine/credential-event';

/**
 * Puts events from many files back into event-time order with bounded memory. CloudTrail writes a
 * file per account and region every ~5 minutes, and a file may hold records written well before its
 * delivery, so we hold events in a min-heap and release those older than the newest time seen minus
 * a window. Memory follows the window, not the size of the hunt. An event older than what was already
 * released is still processed, just late, and counted.
 */
export class EventReorderBuffer {
  private readonly heap: CredentialEvent[] = [];
  private newest = -Infinity;
  private released = -Infinity;
  lateEvents = 0;

  constructor(private readonly windowMs: number) {}

  push(event: CredentialEvent): void {
    if (event.eventTime < this.released) this.lateEvents++;
    if (event.eventTime > this.newest) this.newest = event.eventTime;
    this.heap.push(event);
    this.siftUp(this.heap.length - 1);
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
    return this.heap.length;
  }

  private drainUntil(limit: number): CredentialEvent[] {
    const ready: CredentialEvent[] = [];
    while (this.heap.length > 0 && (this.heap[0] as CredentialEvent).eventTime <= limit) {
      ready.push(this.pop());
    }
    if (ready.length > 0)
      this.released = Math.max(this.released, (ready[ready.length - 1] as CredentialEvent).eventTime);
    return ready;
  }

  private pop(): CredentialEvent {
    const top = this.heap[0] as CredentialEvent;
    const last = this.heap.pop() as CredentialEvent;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  private siftUp(index: number): void {
    const heap = this.heap;
    const item = heap[index] as CredentialEvent;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      const above = heap[parent] as CredentialEvent;
      if (!earlier(item, above)) break;
      heap[index] = above;
      index = parent;
    }
    heap[index] = item;
  }

  private siftDown(index: number): void {
    const heap = this.heap;
    const length = heap.length;
    const item = heap[index] as CredentialEvent;
    for (;;) {
      let child = 2 * index + 1;
      if (child >= length) break;
      const right = child + 1;
      if (right < length && earlier(heap[right] as CredentialEvent, heap[child] as CredentialEvent))
        child = right;
      if (!earlier(heap[child] as CredentialEvent, item)) break;
      heap[index] = heap[child] as CredentialEvent;
      index = child;
    }
    heap[index] = item;
  }
}

function earlier(a: CredentialEvent, b: CredentialEvent): boolean {
  return compareEvents(a, b) < 0;
}
