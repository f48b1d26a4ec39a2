import { matchesEventPattern } from '../../lib/infra/event-pattern-matcher';
import {
  CREDTRAIL_FINDING_PATTERN,
  FORWARDED_CALL_PATTERN,
  GUARDDUTY_EXFILTRATION_PATTERN,
  INSTANCE_CREDENTIAL_CALL_PATTERN,
} from '../../lib/infra/event-patterns';
import eksNode from '../fixtures/cloudtrail/eks-node-role-listbuckets.json';
import { loadEvent } from '../fixtures/events/load-event';
import { asEventBridgeEvent, deliveryRecord, useRecord } from '../support/cloudtrail-records';

const forwarded = (record: Record<string, unknown>): boolean =>
  matchesEventPattern(INSTANCE_CREDENTIAL_CALL_PATTERN, asEventBridgeEvent(record));

function withIdentity(
  record: Record<string, unknown>,
  edit: (identity: Record<string, unknown> & { sessionContext: Record<string, unknown> }) => void,
): Record<string, unknown> {
  const copy = structuredClone(record) as Record<string, unknown> & {
    userIdentity: Record<string, unknown> & { sessionContext: Record<string, unknown> };
  };
  edit(copy.userIdentity);
  return copy;
}

describe('the member rule that forwards instance-credential calls as they happen', () => {
  it('forwards a call signed with credentials EC2 delivered (IMDSv1 and IMDSv2)', () => {
    expect(forwarded(useRecord({ roleDelivery: '2.0' }))).toBe(true);
    expect(forwarded(useRecord({ roleDelivery: '1.0', eventName: 'ListBuckets' }))).toBe(true);
  });

  it('forwards a real capture: an EKS pod on the node role', () => {
    expect(forwarded(eksNode as unknown as Record<string, unknown>)).toBe(true);
  });

  it("forwards EC2's own delivery of instance credentials", () => {
    expect(forwarded(deliveryRecord({ accessKeyId: 'ASIADELIVERED0000001' }))).toBe(true);
  });

  it('does not forward a session merely named like an instance (no ec2RoleDelivery)', () => {
    const named = withIdentity(useRecord(), (identity) => {
      delete identity.sessionContext['ec2RoleDelivery'];
    });

    expect(forwarded(named)).toBe(false);
  });

  it("does not forward a Lambda function role's calls", () => {
    const lambda = withIdentity(useRecord(), (identity) => {
      identity['principalId'] = 'AROAEXAMPLEROLEID:orders-function';
      identity['arn'] = 'arn:aws:sts::111111111111:assumed-role/orders-role/orders-function';
      delete identity.sessionContext['ec2RoleDelivery'];
    });

    expect(forwarded(lambda)).toBe(false);
  });

  it("does not forward an IAM user's calls", () => {
    const user = structuredClone(useRecord());
    user['userIdentity'] = {
      type: 'IAMUser',
      principalId: 'AIDAEXAMPLEUSERID',
      arn: 'arn:aws:iam::111111111111:user/alice',
      accountId: '111111111111',
      accessKeyId: 'AKIAEXAMPLEUSERKEY01',
      userName: 'alice',
    };

    expect(forwarded(user)).toBe(false);
  });

  it('does not forward calls an AWS service makes with the role (invokedBy)', () => {
    const viaService = withIdentity(useRecord(), (identity) => {
      identity['invokedBy'] = 'athena.amazonaws.com';
    });

    expect(forwarded(viaService)).toBe(false);
  });

  it('does not forward STS AssumeRole calls that EC2 did not make', () => {
    const byUser = deliveryRecord({ accessKeyId: 'ASIAUSERMINTED000001' });
    byUser['userIdentity'] = { type: 'IAMUser', arn: 'arn:aws:iam::111111111111:user/alice' };

    expect(forwarded(byUser)).toBe(false);
  });

  it('on the credtrail bus, sends those calls to the real-time queue and no finding or GuardDuty event', () => {
    expect(matchesEventPattern(FORWARDED_CALL_PATTERN, asEventBridgeEvent(useRecord()))).toBe(true);
    for (const other of [
      loadEvent('credtrail-finding-unexpected-origin.json'),
      loadEvent('instance-credential-exfiltration-outside-aws.json'),
    ]) {
      expect(matchesEventPattern(FORWARDED_CALL_PATTERN, other)).toBe(false);
    }
    // …and the finding and GuardDuty routes do not pick up a forwarded call.
    expect(matchesEventPattern(CREDTRAIL_FINDING_PATTERN, asEventBridgeEvent(useRecord()))).toBe(false);
    expect(matchesEventPattern(GUARDDUTY_EXFILTRATION_PATTERN, asEventBridgeEvent(useRecord()))).toBe(false);
  });
});
