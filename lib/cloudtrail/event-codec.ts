import type { CredentialEvent, CredentialKind, CredentialUse } from '../engine/credential-event';

/**
 * How a parse worker (lib/cloudtrail/parse-worker.ts) hands a file's events to the hunt's main thread.
 * Structured clone would copy every string of every event again (3.7 µs an event to read back, as much
 * as judging it): calls here go as string numbers in typed arrays, which move between threads without a
 * copy, and each string crosses once, the first time the worker sees it. The main thread then holds one
 * copy of a role ARN or user agent for every call that repeats it, as the in-process compactor does.
 * The rarer deliveries and instance actions go as they are.
 */
export interface EncodedEvents {
  /** The worker's string table was emptied before these events: the reader empties its own. */
  readonly reset: boolean;
  /** Strings new to the table, numbered on from the table's last one. */
  readonly strings: string[];
  /** Per event in order: 0 for a call (the next of `uses`), 1 for the next of `others`. */
  readonly kinds: Uint8Array;
  /** USE_FIELDS.length string numbers per call, -1 where the field is absent. */
  readonly uses: Int32Array;
  readonly useTimes: Float64Array;
  readonly useIds: string[];
  readonly others: CredentialEvent[];
}

// A call's string fields, in the order the slots hold them.
const USE_FIELDS = [
  'eventName',
  'eventSource',
  'accessKeyId',
  'instanceId',
  'credentialKind',
  'roleArn',
  'roleName',
  'accountId',
  'region',
  'sourceIp',
  'vpcEndpointId',
  'vpcEndpointAccountId',
  'roleDelivery',
  'sessionCreatedAt',
  'userAgent',
  'recipientAccountId',
] as const satisfies readonly (keyof CredentialUse)[];
const WIDTH = USE_FIELDS.length;

/** Bounded like the compactor's tables: a stream of attacker-chosen strings costs resets, not memory. */
const DEFAULT_MAX_STRINGS = 100_000;

/** The worker's side: numbers strings once and packs each file's events. */
export class EventEncoder {
  private readonly numbers = new Map<string, number>();
  // Each field's last string and its number: consecutive calls of a file mostly repeat the service,
  // account, region, role and session, and comparing the shared string is cheaper than hashing it.
  private lastText: (string | undefined)[] = [];
  private lastNumber: number[] = [];

  constructor(private readonly maxStrings = DEFAULT_MAX_STRINGS) {}

  encode(events: readonly CredentialEvent[]): EncodedEvents {
    let useCount = 0;
    for (const event of events) if (event.kind === 'use') useCount++;
    // Emptied between messages, never midway through one: it holds at most the cap and one message.
    const reset = this.numbers.size >= this.maxStrings;
    if (reset) {
      this.numbers.clear();
      this.lastText = [];
      this.lastNumber = [];
    }
    const strings: string[] = [];
    const kinds = new Uint8Array(events.length);
    const uses = new Int32Array(useCount * WIDTH);
    const useTimes = new Float64Array(useCount);
    const useIds: string[] = [];
    const others: CredentialEvent[] = [];
    const lastText = this.lastText;
    const lastNumber = this.lastNumber;
    const number = (field: number, text: string | undefined): number => {
      if (text === undefined) return -1;
      if (text === lastText[field]) return lastNumber[field] as number;
      let known = this.numbers.get(text);
      if (known === undefined) {
        known = this.numbers.size;
        this.numbers.set(text, known);
        strings.push(text);
      }
      lastText[field] = text;
      lastNumber[field] = known;
      return known;
    };
    let use = 0;
    events.forEach((event, index) => {
      if (event.kind !== 'use') {
        kinds[index] = 1;
        others.push(event);
        return;
      }
      // Field by field, in USE_FIELDS order: a property read by a computed name costs several times more.
      let slot = use * WIDTH;
      uses[slot++] = number(0, event.eventName);
      uses[slot++] = number(1, event.eventSource);
      uses[slot++] = number(2, event.accessKeyId);
      uses[slot++] = number(3, event.instanceId);
      uses[slot++] = number(4, event.credentialKind);
      uses[slot++] = number(5, event.roleArn);
      uses[slot++] = number(6, event.roleName);
      uses[slot++] = number(7, event.accountId);
      uses[slot++] = number(8, event.region);
      uses[slot++] = number(9, event.sourceIp);
      uses[slot++] = number(10, event.vpcEndpointId);
      uses[slot++] = number(11, event.vpcEndpointAccountId);
      uses[slot++] = number(12, event.roleDelivery);
      uses[slot++] = number(13, event.sessionCreatedAt);
      uses[slot++] = number(14, event.userAgent);
      uses[slot] = number(15, event.recipientAccountId);
      useTimes[use] = event.eventTime;
      useIds.push(event.eventId);
      use++;
    });
    return { reset, strings, kinds, uses, useTimes, useIds, others };
  }
}

/** The main thread's side, one per worker: the same table, rebuilt from what each message adds. */
export class EventDecoder {
  private strings: string[] = [];

  decode(encoded: EncodedEvents): CredentialEvent[] {
    if (encoded.reset) this.strings = [];
    for (const text of encoded.strings) this.strings.push(text);
    const table = this.strings;
    const { kinds, uses, useTimes, useIds, others } = encoded;
    const text = (slot: number): string | undefined => {
      const number = uses[slot] as number;
      return number < 0 ? undefined : table[number];
    };
    const events: CredentialEvent[] = new Array<CredentialEvent>(kinds.length);
    let use = 0;
    let other = 0;
    for (let index = 0; index < kinds.length; index++) {
      if (kinds[index] === 1) {
        events[index] = others[other++] as CredentialEvent;
        continue;
      }
      const b = use * WIDTH;
      // The fields in the order cloudtrail-record.ts's normalizeUse writes them: the same object shape.
      const event: CredentialUse = {
        kind: 'use',
        eventId: useIds[use] as string,
        eventTime: useTimes[use] as number,
        eventName: text(b) as string,
        eventSource: text(b + 1) as string,
        accessKeyId: text(b + 2) as string,
        instanceId: text(b + 3) as string,
        credentialKind: text(b + 4) as CredentialKind,
        roleArn: text(b + 5) as string,
        roleName: text(b + 6) as string,
        accountId: text(b + 7) as string,
        region: text(b + 8) as string,
        sourceIp: text(b + 9) as string,
        vpcEndpointId: text(b + 10),
        vpcEndpointAccountId: text(b + 11),
        roleDelivery: text(b + 12),
        sessionCreatedAt: text(b + 13),
        userAgent: text(b + 14),
        recipientAccountId: text(b + 15),
      };
      events[index] = event;
      use++;
    }
    return events;
  }
}

/** The buffers a message of encoded events can hand over instead of copying. */
export function transferablesOf(encoded: EncodedEvents): ArrayBuffer[] {
  return [
    encoded.kinds.buffer as ArrayBuffer,
    encoded.uses.buffer as ArrayBuffer,
    encoded.useTimes.buffer as ArrayBuffer,
  ];
}
