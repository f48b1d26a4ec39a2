import { recordsFromText, UnrecognisedRecordsError } from '../../lib/cloudtrail/record-formats';
import { normalizeRecord } from '../../lib/engine/cloudtrail-record';
import { asEventBridgeEvent, useRecord } from '../support/cloudtrail-records';

const first = useRecord({ eventId: 'evt-a' });
const second = useRecord({ eventId: 'evt-b', sourceIp: '198.51.100.7' });

function eventIds(records: unknown[]): string[] {
  return records.map((raw) => {
    const result = normalizeRecord(raw);
    if (result.status !== 'event') throw new Error(`not an event: ${JSON.stringify(result)}`);
    return result.event.eventId;
  });
}

describe('recordsFromText: every shape CloudTrail records are exported in', () => {
  it.each([
    ['a CloudTrail log file', JSON.stringify({ Records: [first, second] })],
    ['a bare array of records (CloudTrail Lake, SIEM exports)', JSON.stringify([first, second])],
    ['JSON Lines of records', `${JSON.stringify(first)}\n${JSON.stringify(second)}\n`],
    [
      'JSON Lines of EventBridge events, with a blank line and CRLF',
      `${JSON.stringify(asEventBridgeEvent(first))}\r\n\r\n${JSON.stringify(asEventBridgeEvent(second))}`,
    ],
    [
      'an array of EventBridge events',
      JSON.stringify([asEventBridgeEvent(first), asEventBridgeEvent(second)]),
    ],
    [
      'a mix, line by line',
      `${JSON.stringify(asEventBridgeEvent(first))}\n${JSON.stringify({ Records: [second] })}`,
    ],
  ])('reads %s', (_name, text) => {
    expect(eventIds(recordsFromText(text))).toEqual(['evt-a', 'evt-b']);
  });

  it('reads one EventBridge event alone', () => {
    expect(eventIds(recordsFromText(JSON.stringify(asEventBridgeEvent(first))))).toEqual(['evt-a']);
  });

  it('names the line that breaks a JSON Lines file', () => {
    const text = `${JSON.stringify(first)}\n{"eventID": "evt-c",\n${JSON.stringify(second)}`;

    expect(() => recordsFromText(text)).toThrow(/line 2 is not JSON/);
  });

  it.each([
    ['text that is not JSON', 'hello\nworld'],
    ['JSON without records', JSON.stringify({ hello: 'world' })],
    ['JSON Lines without records', '{"hello": 1}\n{"world": 2}'],
  ])('refuses %s with a clear error', (_name, text) => {
    expect(() => recordsFromText(text)).toThrow(UnrecognisedRecordsError);
  });
});
