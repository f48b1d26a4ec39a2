import { Template } from 'aws-cdk-lib/assertions';
import { memberStack } from './stack-fixtures';
import { MEMBER_ACCOUNT, identityPoliciesOf, logicalIdStartingWith, simulate } from './template-policies';

// The synthesized member template, evaluated by iam-simulate as the detector's session in the member
// read role: every EC2 call the live enrichment makes (lib/detector/ec2-network-gateway.ts) is allowed,
// nothing that reads secrets or changes anything is.
const template = Template.fromStack(memberStack({ 'credtrail:protectedRoles': 'BreakGlass*' }));
const identity = identityPoliciesOf(template, logicalIdStartingWith(template, 'AWS::IAM::Role', 'ReadRole'), {
  account: MEMBER_ACCOUNT,
});
const SESSION = `arn:aws:sts::${MEMBER_ACCOUNT}:assumed-role/credtrail-member-read/credtrail-detector`;

const decide = (action: string, resource = '*') =>
  simulate({ principal: SESSION, action, resource, context: {} }, { identity, account: MEMBER_ACCOUNT });

describe('member read role, simulated', () => {
  it.each([
    ['ec2:DescribeInstances', 'the instances and their addresses'],
    ['ec2:DescribeNetworkInterfaces', "the instance an appliance's interface belongs to"],
    ['ec2:DescribeNatGateways', "the VPC's and the network account's NAT gateways"],
    ['ec2:DescribeVpcEndpoints', 'the endpoints of a VPC, and the VPC of an endpoint a call names'],
    ['ec2:DescribeRouteTables', "a subnet's default route"],
    ['ec2:DescribeTransitGatewayAttachments', 'the VPCs on the same Transit Gateway'],
  ])('allows %s (%s)', async (action) => {
    await expect(decide(action)).resolves.toBe('Allowed');
  });

  const ec2 = `arn:aws:ec2:us-east-1:${MEMBER_ACCOUNT}:`;
  it.each([
    ['ec2:DescribeInstanceAttribute', `${ec2}instance/i-0a1b2c3d4e5f67890`, 'user data can hold secrets'],
    ['ec2:GetPasswordData', `${ec2}instance/i-0a1b2c3d4e5f67890`, 'Windows passwords'],
    ['ec2:ModifyVpcEndpoint', `${ec2}vpc-endpoint/vpce-0a1b2c3d4e5f67890`, 'a change'],
    ['ec2:CreateVpcEndpoint', `${ec2}vpc-endpoint/*`, 'a change'],
    ['ec2:ReplaceRoute', `${ec2}route-table/rtb-0a1b2c3d4e5f67890`, 'a change'],
    ['iam:GetRole', `arn:aws:iam::${MEMBER_ACCOUNT}:role/WebAppRole`, 'not needed to read a network'],
    ['ssm:GetParameter', `arn:aws:ssm:us-east-1:${MEMBER_ACCOUNT}:parameter/db/password`, 'secrets'],
  ])('denies %s on %s (%s)', async (action, resource) => {
    await expect(decide(action, resource)).resolves.toBe('ImplicitlyDenied');
  });
});
