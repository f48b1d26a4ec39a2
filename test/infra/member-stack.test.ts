import { Template } from 'aws-cdk-lib/assertions';
import { nagFindings } from '../../lib/infra/nag-gate';
import { memberStack, type Statement } from './stack-fixtures';

const stack = memberStack({ 'credtrail:protectedRoles': 'BreakGlass*' });
const template = Template.fromStack(stack);

function role(prefix: string): Record<string, unknown> {
  const entry = Object.entries(template.findResources('AWS::IAM::Role')).find(([id]) =>
    id.startsWith(prefix),
  );
  if (entry === undefined) throw new Error(`no role ${prefix}`);
  return entry[1]['Properties'] as Record<string, unknown>;
}

function inlineStatements(prefix: string): Statement[] {
  const policies = role(prefix)['Policies'] as { PolicyDocument: { Statement: Statement[] } }[];
  return policies.flatMap((p) => p.PolicyDocument.Statement);
}

function trust(prefix: string): Statement[] {
  return (role(prefix)['AssumeRolePolicyDocument'] as { Statement: Statement[] }).Statement;
}

const centralRole = (name: string) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::111111111111:role/${name}`]],
});
describe('member stack', () => {
  it.each([
    ['ReadRole', 'credtrail-member-read', 'credtrail-detector'],
    ['ResponseRole', 'credtrail-member-response', 'credtrail-responder'],
  ])('%s is named %s, described, and trusts only the central %s role', (prefix, name, central) => {
    expect(role(prefix)).toMatchObject({
      RoleName: name,
      Description: expect.stringMatching(/^credtrail: /) as string,
    });
    expect(trust(prefix)).toEqual([
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Principal: {
          AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111111111111:root']] },
        },
        Condition: { ArnEquals: { 'aws:PrincipalArn': centralRole(central) } },
      },
    ]);
  });

  it('read role: six EC2 Describe calls (routes and Transit Gateway attachments included) and nothing else', () => {
    expect(inlineStatements('ReadRole')).toEqual([
      {
        Sid: 'DescribeInstanceNetworks',
        Effect: 'Allow',
        Action: [
          'ec2:DescribeInstances',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeNatGateways',
          'ec2:DescribeVpcEndpoints',
          'ec2:DescribeRouteTables',
          'ec2:DescribeTransitGatewayAttachments',
        ],
        Resource: '*',
      },
    ]);
  });

  // The response role's statements: member-response-policies.test.ts (each statement exactly) and
  // member-response-simulation.test.ts (iam-simulate over this template).

  it('needs no bootstrap: StackSets deploy the template as it is', () => {
    const json = template.toJSON() as { Parameters?: Record<string, unknown>; Rules?: unknown };

    expect(json.Parameters?.['BootstrapVersion']).toBeUndefined();
    expect(json.Rules).toBeUndefined();
  });

  it('passes the nag gate with its acknowledgements', () => {
    expect(nagFindings(stack)).toEqual([]);
  });
});
