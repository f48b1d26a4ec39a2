import { EventDecoder, EventEncoder } from '../../lib/cloudtrail/event-codec';
import type { CredentialEvent, CredentialUse } from '../../lib/engine/credential-event';
import { deliveryOf, use } from '../support/cloudtrail-records';

/**
 * A parse worker hands its events to the main thread through this codec: what the main thread judges
 * must be exactly what the worker normalised, field for field, absent fields included.
 */
describe('event codec', () => {
  const action: CredentialEvent = {
    kind: 'instance-action',
    eventId: 'act-1',
    eventTime: Date.parse('2025-03-14T10:00:00Z'),
    eventName: 'SendCommand',
    accountId: '111111111111',
    region: 'eu-west-1',
    instanceIds: ['i-0abc', 'i-0def'],
    effect: 'access',
  };
  const full: CredentialUse = {
    ...use({ eventId: 'u-2' }),
    vpcEndpointId: 'vpce-0123',
    vpcEndpointAccountId: '222222222222',
    roleDelivery: '1.0',
    sessionCreatedAt: '2025-03-14T09:00:00Z',
    userAgent: 'aws-cli/2.15',
    recipientAccountId: '111111111111',
  };
  const bare: CredentialUse = {
    ...use({ eventId: 'u-3' }),
    vpcEndpointId: undefined,
    vpcEndpointAccountId: undefined,
    roleDelivery: undefined,
    sessionCreatedAt: undefined,
    userAgent: undefined,
    recipientAccountId: undefined,
  };
  const events: CredentialEvent[] = [
    deliveryOf({ accessKeyId: 'ASIADELIVERED0000001' }),
    use({ eventId: 'u-1' }),
    action,
    full,
    bare,
  ];

  it('gives back every event, in order, with the same fields and no others', () => {
    // Arrange
    const encoder = new EventEncoder();
    const decoder = new EventDecoder();

    // Act
    const decoded = decoder.decode(encoder.encode(events));

    // Assess
    expect(decoded).toStrictEqual(events);
    expect(decoded.map((event) => Object.keys(event))).toEqual(events.map((event) => Object.keys(event)));
  });

  it('sends a string once: a later message carries only strings it has not sent', () => {
    // Arrange
    const encoder = new EventEncoder();
    const decoder = new EventDecoder();
    const first = encoder.encode([use({ eventId: 'a' })]);

    // Act
    const second = encoder.encode([use({ eventId: 'b' }), use({ eventId: 'c', sourceIp: '198.51.100.7' })]);

    // Assess
    expect(first.strings.length).toBeGreaterThan(5);
    expect(second.strings).toEqual(['198.51.100.7']);
    expect(decoder.decode(first)).toStrictEqual([use({ eventId: 'a' })]);
    expect(decoder.decode(second)).toStrictEqual([
      use({ eventId: 'b' }),
      use({ eventId: 'c', sourceIp: '198.51.100.7' }),
    ]);
  });

  it('empties both tables together when the strings pass the cap, and still decodes right', () => {
    // Arrange: a cap of 20 strings, and calls that each bring new ones (attacker-chosen user agents)
    const encoder = new EventEncoder(20);
    const decoder = new EventDecoder();
    const batches = Array.from({ length: 6 }, (_, batch) =>
      Array.from({ length: 3 }, (_, n) => ({
        ...use({ eventId: `${batch}-${n}` }),
        userAgent: `agent-${batch}-${n}`,
      })),
    );

    // Act
    const messages = batches.map((batch) => encoder.encode(batch));
    const decoded = messages.map((message) => decoder.decode(message));

    // Assess
    expect(messages.some((message) => message.reset)).toBe(true);
    expect(decoded).toStrictEqual(batches);
  });
});
