import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type * as z from 'zod';
import type { NetworkDirectory, NetworkLookup, NetworkRequest } from '../engine/detector-store';
import type { InstanceNetwork } from '../engine/instance-network';
import {
  DescribeInstancesOutputSchema,
  DescribeNatGatewaysOutputSchema,
  DescribeVpcEndpointsOutputSchema,
  INVENTORY_COMMANDS,
  type DescribeInstancesOutput,
  type DescribeNatGatewaysOutput,
  type DescribeVpcEndpointsOutput,
  type InventoryDocuments,
  type InventoryKind,
} from './ec2-inventory-schema';
import { buildInstanceNetworks, ownerAccountsOf } from './instance-networks';

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

/** The directory is missing, or holds none of the three exports: a typo in `--inventory` must not pass. */
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

export function parseInventoryDocument(
  kind: 'instances',
  text: string,
  fileName: string,
): DescribeInstancesOutput;
export function parseInventoryDocument(
  kind: 'natGateways',
  text: string,
  fileName: string,
): DescribeNatGatewaysOutput;
export function parseInventoryDocument(
  kind: 'vpcEndpoints',
  text: string,
  fileName: string,
): DescribeVpcEndpointsOutput;
export function parseInventoryDocument(
  kind: InventoryKind,
  text: string,
  fileName: string,
): DescribeInstancesOutput | DescribeNatGatewaysOutput | DescribeVpcEndpointsOutput;
export function parseInventoryDocument(
  kind: InventoryKind,
  text: string,
  fileName: string,
): DescribeInstancesOutput | DescribeNatGatewaysOutput | DescribeVpcEndpointsOutput {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidInventoryError(
      fileName,
      `invalid JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  const schema = SCHEMAS[kind];
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

const SCHEMAS: Record<
  InventoryKind,
  z.ZodType<DescribeInstancesOutput | DescribeNatGatewaysOutput | DescribeVpcEndpointsOutput>
> = {
  instances: DescribeInstancesOutputSchema,
  natGateways: DescribeNatGatewaysOutputSchema,
  vpcEndpoints: DescribeVpcEndpointsOutputSchema,
};

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
  const instances: DescribeInstancesOutput[] = [];
  const natGateways: DescribeNatGatewaysOutput[] = [];
  const vpcEndpoints: DescribeVpcEndpointsOutput[] = [];
  let count = 0;
  for (const file of files) {
    const kind = inventoryKindOf(file);
    if (kind === undefined) continue;
    count++;
    const text = await readFile(file, 'utf8');
    if (kind === 'instances') instances.push(parseInventoryDocument(kind, text, file));
    else if (kind === 'natGateways') natGateways.push(parseInventoryDocument(kind, text, file));
    else vpcEndpoints.push(parseInventoryDocument(kind, text, file));
  }
  if (count === 0) {
    throw new InventoryNotFoundError(
      dir,
      `no inventory found: expected JSON files named after ${Object.values(INVENTORY_COMMANDS).join(', ')} (the output of "aws ec2 describe-… > file.json")`,
    );
  }
  return { documents: { instances, natGateways, vpcEndpoints }, files: count };
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
  private readonly networks: ReadonlyMap<string, InstanceNetwork>;

  private constructor(documents: InventoryDocuments, files: number) {
    this.networks = buildInstanceNetworks(documents);
    this.ownerAccounts = ownerAccountsOf(documents);
    this.summary = {
      files,
      accounts: this.ownerAccounts.size,
      instances: this.networks.size,
      natGateways: documents.natGateways.reduce((sum, document) => sum + document.NatGateways.length, 0),
      vpcEndpoints: documents.vpcEndpoints.reduce((sum, document) => sum + document.VpcEndpoints.length, 0),
    };
  }

  static async load(dir: string): Promise<InventoryDirectory> {
    const { documents, files } = await readInventoryDocuments(dir);
    return new InventoryDirectory(documents, files);
  }

  static fromDocuments(documents: InventoryDocuments): InventoryDirectory {
    return new InventoryDirectory(documents, 0);
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
      answers.set(
        request.instanceId,
        network !== undefined && sameAccount ? { status: 'found', network } : { status: 'unknown' },
      );
    }
    return Promise.resolve(answers);
  }
}
