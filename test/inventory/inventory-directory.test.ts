import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  InvalidInventoryError,
  InventoryDirectory,
  InventoryNotFoundError,
  inventoryKindOf,
} from '../../lib/inventory/inventory-directory';

const ESTATE = join(__dirname, 'fixtures', 'estate');

describe('InventoryDirectory.load', () => {
  let scratch: string;

  beforeEach(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'credtrail-inventory-'));
  });

  afterEach(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('reads every export under the directory, at any depth, for several accounts and regions', async () => {
    // Act
    const inventory = await InventoryDirectory.load(ESTATE);

    // Assess
    expect(inventory.summary).toEqual({
      files: 6,
      accounts: 3,
      instances: 4,
      natGateways: 4,
      vpcEndpoints: 4,
      routeTables: 0,
      transitGatewayAttachments: 0,
    });
    expect([...inventory.ownerAccounts].sort()).toEqual(['111111111111', '222222222222', '333333333333']);
    expect(inventory.network('i-0eu00000000000001')).toMatchObject({
      region: 'eu-west-1',
      vpcEndpointIds: ['vpce-0eu0000000000001'],
    });
  });

  it('answers found for a known instance of the same account, unknown otherwise', async () => {
    // Prepare
    const inventory = await InventoryDirectory.load(ESTATE);

    // Act
    const answers = await inventory.lookup([
      { instanceId: 'i-0598c7d356eba48d7', accountId: '111111111111' },
      { instanceId: 'i-0eu00000000000001', accountId: '999999999999' },
      { instanceId: 'i-0000000000000dead', accountId: '111111111111', region: 'us-east-1' },
    ]);

    // Assess
    expect(answers.get('i-0598c7d356eba48d7')).toMatchObject({
      status: 'found',
      network: { instanceId: 'i-0598c7d356eba48d7', accountId: '111111111111', source: 'inventory' },
    });
    expect(answers.get('i-0eu00000000000001')).toEqual({ status: 'unknown' });
    // Unknown instance of a known account: its account's known networks come along.
    expect(answers.get('i-0000000000000dead')).toMatchObject({
      status: 'unknown',
      accountNetwork: { accountId: '111111111111', region: 'us-east-1' },
    });
  });

  it('names the file and the problem when a file is not JSON', async () => {
    // Prepare
    await mkdir(join(scratch, 'acct'));
    await writeFile(join(scratch, 'acct', 'describe-instances.json'), '{"Reservations": [');

    // Act
    const load = InventoryDirectory.load(scratch);

    // Assess
    await expect(load).rejects.toThrow(InvalidInventoryError);
    await expect(load).rejects.toThrow(/acct\/describe-instances\.json: invalid JSON/);
  });

  it('names the file and the command when a file has the wrong shape', async () => {
    // Prepare: what `--query 'NatGateways[].NatGatewayAddresses'` would print instead of the document
    await writeFile(join(scratch, 'describe-nat-gateways.json'), '[[{"PublicIp": "52.20.147.9"}]]');
    await writeFile(join(scratch, 'describe-vpc-endpoints.json'), '{"VpcEndpoints": [{"VpcId": "vpc-1"}]}');

    // Act
    const load = InventoryDirectory.load(scratch);

    // Assess
    await expect(load).rejects.toThrow(
      /describe-nat-gateways\.json: not the JSON that "aws ec2 describe-nat-gateways" prints \(document: /,
    );
  });

  it('rejects an endpoint without its id', async () => {
    // Prepare
    await writeFile(join(scratch, 'describe-vpc-endpoints.json'), '{"VpcEndpoints": [{"VpcId": "vpc-1"}]}');

    // Act
    const load = InventoryDirectory.load(scratch);

    // Assess
    await expect(load).rejects.toThrow(/describe-vpc-endpoints\.json: .*VpcEndpoints\.0\.VpcEndpointId/);
  });

  it('refuses a directory that holds none of the three exports', async () => {
    // Prepare
    await writeFile(join(scratch, 'instances.json'), '{"Reservations": []}');
    await writeFile(join(scratch, 'describe-instances.txt'), '{"Reservations": []}');

    // Act
    const load = InventoryDirectory.load(scratch);

    // Assess
    await expect(load).rejects.toThrow(InventoryNotFoundError);
    await expect(load).rejects.toThrow(/no inventory found/);
  });

  it('refuses a directory that does not exist', async () => {
    // Act
    const load = InventoryDirectory.load(join(scratch, 'typo'));

    // Assess
    await expect(load).rejects.toThrow(InventoryNotFoundError);
  });

  it('accepts empty exports: an account with no instances is still an owner', async () => {
    // Prepare
    await writeFile(join(scratch, 'describe-instances.json'), '{"Reservations": []}');
    await writeFile(
      join(scratch, 'describe-vpc-endpoints.json'),
      '{"VpcEndpoints": [{"VpcEndpointId": "vpce-0a", "VpcId": "vpc-1", "OwnerId": "333333333333"}]}',
    );

    // Act
    const inventory = await InventoryDirectory.load(scratch);

    // Assess
    expect(inventory.summary.instances).toBe(0);
    expect([...inventory.ownerAccounts]).toEqual(['333333333333']);
  });
});

describe('inventoryKindOf', () => {
  it.each([
    ['describe-instances.json', 'instances'],
    ['prod/eu-west-1/prod-describe-instances-eu-west-1.json', 'instances'],
    ['describe-nat-gateways.json', 'natGateways'],
    ['x/describe-vpc-endpoints.json', 'vpcEndpoints'],
    ['describe-instances.json.bak', undefined],
    ['describe-instance-status.json', undefined],
    ['describe-tags.json', undefined],
  ])('%s is %s', (name, kind) => {
    // Act
    const result = inventoryKindOf(name);

    // Assess
    expect(result).toBe(kind);
  });
});
