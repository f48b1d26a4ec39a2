import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type * as z from 'zod';
import type { NetworkDirectory, NetworkLookup, NetworkRequest } from '../engine/detector-store';
import type { AccountNetwork, InstanceNetwork } from '../engine/instance-network';
import {
  DescribeInstancesOutputSchema,
  DescribeNatGatewaysOutputSchema,
  DescribeVpcEndpointsOutputSchema,
  DescribeRouteTablesOutputSchema,
  DescribeTransitGatewayAttachmentsOutputSchema,
  INVENTORY_COMMANDS,
  type DescribeRouteTablesOutput,
  type DescribeTransitGatewayAttachmentsOutput,
  type DescribeInstancesOutput,
  type DescribeNatGatewaysOutput,
  type DescribeVpcEndpointsOutput,
  type InventoryDocuments,
  type InventoryKind,
} from './ec2-inventory-schema';
import {
  accountNetworkKey,
  buildAccountNetworks,
  buildInstanceNetworks,
  ownerAccountsOf,
} from './instance-networks';

/** An inventory file that is not JSON, or not what the AWS CLI prints for its command. */
export class InvalidInventoryError extends Error {
  constructor(
    readonly fileName: string,
    readonly detail: string,
  ) {
    super(`${fileName}: ${detail}`);
    this.name = 'InvalidInventoryError';
  }
}

/** The directory is missing, or holds none of the exports: a typo in `--inventory` must not pass. */
export class InventoryNotFoundError extends Error {
  constructor(
    readonly directory: string,
    detail: string,
  ) {
    super(`${directory}: ${detail}`);
    this.name = 'InventoryNotFoundError';
  }
}

export interface InventorySummary {
  readonly files: number;
  readonly accounts: number;
  readonly instances: number;
  readonly natGateways: number;
  readonly vpcEndpoints: number;
  readonly routeTables: number;
  readonly transitGatewayAttachments: number;
}

/** Which export a file holds, from its name (`describe-instances.json`, `prod-describe-nat-gateways-eu.json`). */
export function inventoryKindOf(fileName: string): InventoryKind | undefined {
  const name = basename(fileName);
  if (!name.endsWith('.json')) return undefined;
  for (const [kind, command] of Object.entries(INVENTORY_COMMANDS) as [InventoryKind, string][]) {
    if (name.includes(command)) return kind;
  }
  return undefined;
}

/** The document each kind of export holds. */
export interface InventoryDocumentOf {
  readonly instances: DescribeInstancesOutput;
  readonly natGateways: DescribeNatGatewaysOutput;
  readonly vpcEndpoints: DescribeVpcEndpointsOutput;
  readonly routeTables: DescribeRouteTablesOutput;
  readonly transitGatewayAttachments: DescribeTransitGatewayAttachmentsOutput;
}

const SCHEMAS: { readonly [K in InventoryKind]: z.ZodType<InventoryDocumentOf[K]> } = {
  instances: DescribeInstancesOutputSchema,
  natGateways: DescribeNatGatewaysOutputSchema,
  vpcEndpoints: DescribeVpcEndpointsOutputSchema,
  routeTables: DescribeRouteTablesOutputSchema,
  transitGatewayAttachments: DescribeTransitGatewayAttachmentsOutputSchema,
};

export function parseInventoryDocument<K extends InventoryKind>(
  kind: K,
  text: string,
  fileName: string,
): InventoryDocumentOf[K] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidInventoryError(
      fileName,
      `invalid JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  const schema: z.ZodType<InventoryDocumentOf[K]> = SCHEMAS[kind];
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .slice(0, 3)
      .map((issue) => `${issue.path.join('.') || 'document'}: ${issue.message}`)
      .join('; ');
    throw new InvalidInventoryError(
      fileName,
      `not the JSON that "aws ec2 ${INVENTORY_COMMANDS[kind]}" prints (${problems})`,
    );
  }
  return parsed.data;
}

/** Reads every export under `dir`, at any depth (one folder per account and region is the usual layout). */
export async function readInventoryDocuments(
  dir: string,
): Promise<{ documents: InventoryDocuments; files: number }> {
  let files: string[];
  try {
    files = await listFiles(dir);
  } catch (error) {
    throw new InventoryNotFoundError(
      dir,
      `cannot be read (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  const documents = {
    instances: [] as DescribeInstancesOutput[],
    natGateways: [] as DescribeNatGatewaysOutput[],
    vpcEndpoints: [] as DescribeVpcEndpointsOutput[],
    routeTables: [] as DescribeRouteTablesOutput[],
    transitGatewayAttachments: [] as DescribeTransitGatewayAttachmentsOutput[],
  };
  let count = 0;
  for (const file of files) {
    const kind = inventoryKindOf(file);
    if (kind === undefined) continue;
    count++;
    const text = await readFile(file, 'utf8');
    switch (kind) {
      case 'instances':
        documents.instances.push(parseInventoryDocument(kind, text, file));
        break;
      case 'natGateways':
        documents.natGateways.push(parseInventoryDocument(kind, text, file));
        break;
      case 'vpcEndpoints':
        documents.vpcEndpoints.push(parseInventoryDocument(kind, text, file));
        break;
      case 'routeTables':
        documents.routeTables.push(parseInventoryDocument(kind, text, file));
        break;
      case 'transitGatewayAttachments':
        documents.transitGatewayAttachments.push(parseInventoryDocument(kind, text, file));
        break;
    }
  }
  if (count === 0) {
    throw new InventoryNotFoundError(
      dir,
      `no inventory found: expected JSON files named after ${Object.values(INVENTORY_COMMANDS).join(', ')} (the output of "aws ec2 describe-… > file.json")`,
    );
  }
  return { documents, files: count };
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(path)));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}

/** The offline NetworkDirectory: instance networks from AWS CLI exports on disk. */
export class InventoryDirectory implements NetworkDirectory {
  readonly ownerAccounts: ReadonlySet<string>;
  readonly summary: InventorySummary;
  /** The VPC of every endpoint in the inventory, for exceptions that tie a private range to a `vpcId`. */
  readonly endpointVpcs: ReadonlyMap<string, string>;
  private readonly networks: ReadonlyMap<string, InstanceNetwork>;
  private readonly accountNetworks: ReadonlyMap<string, AccountNetwork>;

  private constructor(documents: InventoryDocuments, files: number) {
    this.networks = buildInstanceNetworks(documents);
    this.accountNetworks = buildAccountNetworks(documents, this.networks);
    this.ownerAccounts = ownerAccountsOf(documents);
    this.endpointVpcs = new Map(
      documents.vpcEndpoints.flatMap((document) =>
        document.VpcEndpoints.flatMap((endpoint) =>
          endpoint.VpcId === undefined ? [] : [[endpoint.VpcEndpointId, endpoint.VpcId] as const],
        ),
      ),
    );
    this.summary = {
      files,
      accounts: this.ownerAccounts.size,
      instances: this.networks.size,
      natGateways: documents.natGateways.reduce((sum, document) => sum + document.NatGateways.length, 0),
      vpcEndpoints: documents.vpcEndpoints.reduce((sum, document) => sum + document.VpcEndpoints.length, 0),
      routeTables: (documents.routeTables ?? []).reduce(
        (sum, document) => sum + document.RouteTables.length,
        0,
      ),
      transitGatewayAttachments: (documents.transitGatewayAttachments ?? []).reduce(
        (sum, document) => sum + document.TransitGatewayAttachments.length,
        0,
      ),
    };
  }

  static async load(dir: string): Promise<InventoryDirectory> {
    const { documents, files } = await readInventoryDocuments(dir);
    return new InventoryDirectory(documents, files);
  }

  static fromDocuments(documents: InventoryDocuments): InventoryDirectory {
    return new InventoryDirectory(documents, 0);
  }

  /**
   * The account's known networks in the instance's region; when the region is not known (EC2's delivery
   * was not seen, and calls go to any region), in every region the inventory holds for the account.
   */
  accountNetworkOf(accountId: string, region: string | undefined): AccountNetwork | undefined {
    if (region !== undefined) return this.accountNetworks.get(accountNetworkKey(accountId, region));
    const all = [...this.accountNetworks.values()].filter((network) => network.accountId === accountId);
    if (all.length === 0) return undefined;
    return {
      accountId,
      region: all.map((network) => network.region).join(', '),
      egress: all.flatMap((network) => network.egress),
      endpoints: all.flatMap((network) => network.endpoints),
      publicSubnets: all.some((network) => network.publicSubnets),
    };
  }

  network(instanceId: string): InstanceNetwork | undefined {
    return this.networks.get(instanceId);
  }

  lookup(requests: readonly NetworkRequest[]): Promise<Map<string, NetworkLookup>> {
    const answers = new Map<string, NetworkLookup>();
    for (const request of requests) {
      const network = this.networks.get(request.instanceId);
      // The role of an instance profile lives in the instance's account: another account's answer is
      // about some other instance, and using it could vouch for a thief's address.
      const sameAccount = network?.accountId === undefined || network.accountId === request.accountId;
      if (network !== undefined && sameAccount) {
        answers.set(request.instanceId, { status: 'found', network });
        continue;
      }
      // Launched after the inventory was taken (or never exported): its account's known networks in its
      // region still tell a thief's fresh address from the account's own egress.
      const accountNetwork = this.accountNetworkOf(request.accountId, request.region);
      answers.set(
        request.instanceId,
        accountNetwork === undefined ? { status: 'unknown' } : { status: 'unknown', accountNetwork },
      );
    }
    return Promise.resolve(answers);
  }
}
