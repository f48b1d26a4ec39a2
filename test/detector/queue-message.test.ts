import { parseQueueMessage, UnrecognisedMessageError } from '../../lib/detector/queue-message';
import cloudTrailNotice from '../fixtures/detector/cloudtrail-sns-notice.json';
import s3Event from '../fixtures/detector/s3-event.json';
import snsEnvelope from '../fixtures/detector/sns-envelope.json';

const KEY =
  'AWSLogs/o-abc123/111122223333/CloudTrail/eu-west-1/2024/08/02/111122223333_CloudTrail_eu-west-1_20240802T0835Z_EXAMPLEa1b2c3d4e5.json.gz';

function wrapped(message: unknown): string {
  return JSON.stringify({ ...structuredClone(snsEnvelope), Message: JSON.stringify(message) });
}

describe('parseQueueMessage', () => {
  it.each([
    ['an S3 event notification', JSON.stringify(s3Event)],
    ['an S3 event notification in an SNS envelope', wrapped(s3Event)],
    ["CloudTrail's SNS notice", JSON.stringify(cloudTrailNotice)],
    ["CloudTrail's SNS notice in an SNS envelope", wrapped(cloudTrailNotice)],
  ])('reads the object from %s', (_, body) => {
    // Act
    const refs = parseQueueMessage(body);

    // Assess
    expect(refs).toEqual([{ bucket: 'org-trail', key: KEY }]);
  });

  it('lists every file of a CloudTrail notice', () => {
    // Prepare
    const notice = { ...structuredClone(cloudTrailNotice), s3ObjectKey: ['a.json.gz', 'b.json.gz'] };

    // Act
    const refs = parseQueueMessage(JSON.stringify(notice));

    // Assess
    expect(refs.map((ref) => ref.key)).toEqual(['a.json.gz', 'b.json.gz']);
  });

  it('decodes the URL-encoded key of an S3 event', () => {
    // Prepare
    const event = structuredClone(s3Event);
    const record = event.Records[0];
    if (record) record.s3.object.key = 'AWSLogs/my+prefix/%C3%A9t%C3%A9.json.gz';

    // Act
    const refs = parseQueueMessage(JSON.stringify(event));

    // Assess
    expect(refs[0]?.key).toBe('AWSLogs/my prefix/été.json.gz');
  });

  it("treats S3's test event as naming no object", () => {
    // Act
    const refs = parseQueueMessage(
      JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: 'org-trail' }),
    );

    // Assess
    expect(refs).toEqual([]);
  });

  it('rejects a message of another shape', () => {
    // Act / Assess
    expect(() => parseQueueMessage('{"hello":"world"}')).toThrow(UnrecognisedMessageError);
    expect(() => parseQueueMessage('not json')).toThrow(UnrecognisedMessageError);
  });
});
