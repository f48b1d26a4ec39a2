import { EventReorderBuffer } from '../../lib/cloudtrail/event-order';
import { deliveryOf, use } from '../support/cloudtrail-records';

const at = (minute: number) => `2026-11-26T10:${String(minute).padStart(2, '0')}:00Z`;

describe('EventReorderBuffer', () => {
  it('releases only what is older than the newest time minus the window, oldest first', () => {
    const buffer = new EventReorderBuffer(10 * 60_000);
    for (const minute of [30, 5, 12, 1]) buffer.push(use({ eventTime: at(minute) }));

    const ready = buffer.drainReady();

    expect(ready.map((e) => e.eventTime)).toEqual([1, 5, 12].map((m) => Date.parse(at(m))));
    expect(buffer.size).toBe(1);
    expect(buffer.drainAll().map((e) => e.eventTime)).toEqual([Date.parse(at(30))]);
  });

  it('puts a key delivery before a use in the same second', () => {
    const buffer = new EventReorderBuffer(0);
    buffer.push(use({ accessKeyId: 'ASIAK', eventTime: at(0) }));
    buffer.push(deliveryOf({ accessKeyId: 'ASIAK', eventTime: at(0) }));

    expect(buffer.drainAll().map((e) => e.kind)).toEqual(['delivery', 'use']);
  });

  it('keeps the read order of events of one time, deliveries first, across files and drains', () => {
    const buffer = new EventReorderBuffer(60_000);
    const ids = ['first', 'second', 'third', 'fourth'];
    buffer.push(use({ eventId: ids[0], eventTime: at(1) }));
    buffer.push(use({ eventId: 'later', eventTime: at(9) }));
    buffer.push(use({ eventId: ids[1], eventTime: at(1) }));
    buffer.push(deliveryOf({ accessKeyId: 'ASIAK', eventTime: at(1) }));
    buffer.push(use({ eventId: ids[2], eventTime: at(1) }));
    buffer.push(use({ eventId: 'early', eventTime: at(0) }));
    buffer.push(use({ eventId: ids[3], eventTime: at(1) }));

    const ready = buffer.drainReady();

    expect(ready.map((e) => (e.kind === 'delivery' ? 'delivery' : e.eventId))).toEqual([
      'early',
      'delivery',
      ...ids,
    ]);
    expect(buffer.size).toBe(1);
    expect(buffer.drainAll().map((e) => e.eventId)).toEqual(['later']);
    expect(buffer.size).toBe(0);
  });

  it('counts events that arrive after their time was released', () => {
    const buffer = new EventReorderBuffer(0);
    buffer.push(use({ eventTime: at(20) }));
    buffer.drainReady();
    buffer.push(use({ eventTime: at(10) }));

    expect(buffer.lateEvents).toBe(1);
    expect(buffer.drainAll()).toHaveLength(1);
  });

  it('sorts many events correctly', () => {
    const buffer = new EventReorderBuffer(0);
    const minutes = Array.from({ length: 200 }, (_, i) => (i * 37) % 60);
    for (const minute of minutes) buffer.push(use({ eventTime: at(minute) }));

    const times = buffer.drainAll().map((e) => e.eventTime);

    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(times).toHaveLength(200);
  });
});
