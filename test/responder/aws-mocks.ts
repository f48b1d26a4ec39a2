import {
  CreateSecurityGroupCommand,
  DescribeIamInstanceProfileAssociationsCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  GetInstanceProfileCommand,
  GetRoleCommand,
  IAMClient,
  ListRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { Logger } from '@aws-lambda-powertools/logger';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mockClient } from 'aws-sdk-client-mock';
import { FileAuditStore } from '../../lib/responder/file-audit-store';
import { Ec2Gateway } from '../../lib/responder/ec2-gateway';
import { IamGateway } from '../../lib/responder/iam-gateway';
import { MemoryRateLimiter, type RateLimiter } from '../../lib/responder/rate-limiter';
import type { ResponseConfig } from '../../lib/responder/response-config-schema';
import type { ResponderDependencies } from '../../lib/responder/responder-service';
import { EventBusGateway } from '../../lib/responder/event-bus-gateway';
import { memberRoleArn } from '../../lib/aws/member-role';
import { StsGateway } from '../../lib/responder/sts-gateway';
import { ENI_ID, INSTANCE_ID, NAT_IP, NOW, PROFILE_ARN, VPC_ID, WEB_SG } from './responder-fixtures';

export const iamMock = mockClient(IAMClient);
export const ec2Mock = mockClient(EC2Client);
export const stsMock = mockClient(STSClient);
export const eventsMock = mockClient(EventBridgeClient);

/** A member account with WebAppRole (no inline policies) and its running instance behind a NAT. */
export function primeAccount(): void {
  iamMock.reset();
  ec2Mock.reset();
  stsMock.reset();
  eventsMock.reset();
  stsMock.on(AssumeRoleCommand).resolves({
    Credentials: {
      AccessKeyId: 'ASIAMEMBER',
      SecretAccessKey: 'secret',
      SessionToken: 'token',
      Expiration: NOW,
    },
  });
  iamMock.on(GetRoleCommand).resolves({
    Role: {
      RoleName: 'WebAppRole',
      RoleId: 'AROAEXAMPLEROLEID1234',
      Arn: 'arn:aws:iam::123456789012:role/WebAppRole',
      Path: '/',
      CreateDate: NOW,
    },
  });
  iamMock.on(ListRolePoliciesCommand).resolves({ PolicyNames: [], IsTruncated: false });
  iamMock.on(GetInstanceProfileCommand).resolves({
    InstanceProfile: {
      InstanceProfileName: 'WebAppRole',
      InstanceProfileId: 'AIPAEXAMPLEPROFILE123',
      Arn: PROFILE_ARN,
      Path: '/',
      CreateDate: NOW,
      Roles: [
        {
          RoleName: 'WebAppRole',
          RoleId: 'AROAEXAMPLEROLEID1234',
          Arn: 'arn:aws:iam::123456789012:role/WebAppRole',
          Path: '/',
          CreateDate: NOW,
        },
      ],
    },
  });
  ec2Mock.on(DescribeInstancesCommand).resolves({
    Reservations: [
      {
        Instances: [
          {
            InstanceId: INSTANCE_ID,
            State: { Name: 'running' },
            VpcId: VPC_ID,
            Tags: [{ Key: 'Name', Value: 'web-1' }],
            NetworkInterfaces: [
              { NetworkInterfaceId: ENI_ID, VpcId: VPC_ID, Groups: [{ GroupId: WEB_SG, GroupName: 'web' }] },
            ],
            BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeId: 'vol-0123456789abcdef0' } }],
          },
        ],
      },
    ],
  });
  ec2Mock.on(DescribeIamInstanceProfileAssociationsCommand).resolves({
    IamInstanceProfileAssociations: [
      {
        AssociationId: 'iip-assoc-0123456789abcdef0',
        InstanceId: INSTANCE_ID,
        IamInstanceProfile: { Arn: PROFILE_ARN },
        State: 'associated',
      },
    ],
  });
  ec2Mock.on(DescribeNetworkInterfacesCommand).resolves({
    NetworkInterfaces: [
      { NetworkInterfaceId: ENI_ID, InterfaceType: 'interface', VpcId: VPC_ID },
      {
        NetworkInterfaceId: 'eni-0nat0000000000000',
        InterfaceType: 'natGateway',
        VpcId: VPC_ID,
        Association: { PublicIp: NAT_IP },
      },
    ],
  });
  ec2Mock.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [] });
  ec2Mock.on(CreateSecurityGroupCommand).resolves({ GroupId: ISOLATION_SG });
  eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
}

export const ISOLATION_SG = 'sg-0isolation00000001';

/** The account as a quarantine left it: the interface in the isolation group, the profile removed. */
export function primeQuarantined(): void {
  ec2Mock.on(DescribeInstancesCommand).resolves({
    Reservations: [
      {
        Instances: [
          {
            InstanceId: INSTANCE_ID,
            State: { Name: 'running' },
            VpcId: VPC_ID,
            Tags: [
              { Key: 'Name', Value: 'web-1' },
              { Key: 'credtrail:quarantine', Value: 'set' },
            ],
            NetworkInterfaces: [
              { NetworkInterfaceId: ENI_ID, VpcId: VPC_ID, Groups: [{ GroupId: ISOLATION_SG }] },
            ],
          },
        ],
      },
    ],
  });
  ec2Mock.on(DescribeIamInstanceProfileAssociationsCommand).resolves({ IamInstanceProfileAssociations: [] });
  ec2Mock
    .on(DescribeSecurityGroupsCommand)
    .resolves({ SecurityGroups: [] })
    .on(DescribeSecurityGroupsCommand, {
      Filters: [
        { Name: 'vpc-id', Values: [VPC_ID] },
        { Name: 'group-name', Values: ['credtrail-isolation'] },
      ],
    })
    .resolves({ SecurityGroups: [{ GroupId: ISOLATION_SG, IpPermissions: [], IpPermissionsEgress: [] }] });
}

/** Names of the commands a mock received that change something (anything but Get/List/Describe). */
export function mutatingCommands(mock: typeof iamMock | typeof ec2Mock): string[] {
  return mock
    .calls()
    .map((call) => (call.args[0] as object).constructor.name.replace(/Command$/, ''))
    .filter((name) => !/^(Get|List|Describe)/.test(name));
}

export function silentLogger(): Logger {
  return new Logger({ serviceName: 'credtrail-responder-test', logLevel: 'SILENT' });
}

export function dependencies(
  config: ResponseConfig,
  options: { rateLimiter?: RateLimiter; auditDir?: string } = {},
): ResponderDependencies {
  // No real waiting between AssumeRole tries in tests.
  const sts = new StsGateway(new STSClient({ region: 'us-east-1' }), () => Promise.resolve());
  return {
    config,
    responderRoleNames: ['CredtrailMemberResponse'],
    audit: new FileAuditStore(options.auditDir ?? mkdtempSync(join(tmpdir(), 'credtrail-audit-'))),
    rateLimiter: options.rateLimiter ?? new MemoryRateLimiter(),
    publisher: new EventBusGateway(new EventBridgeClient({ region: 'us-east-1' }), 'credtrail'),
    gatewaysFor: async (accountId, region, partition, sessionName) => {
      const credentials = await sts.assumeMemberRole(
        memberRoleArn(partition, accountId, 'CredtrailMemberResponse'),
        sessionName,
      );
      return {
        iam: new IamGateway(new IAMClient({ region, credentials })),
        ec2: new Ec2Gateway(new EC2Client({ region, credentials })),
      };
    },
    log: silentLogger(),
    now: () => NOW,
  };
}
