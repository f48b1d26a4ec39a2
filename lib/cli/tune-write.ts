import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { parseExceptions, type CredentialException } from '../engine/credential-exception';
import { ExceptionsTable, type LoadedExceptions } from '../state/exceptions-table';
import { describeMatchers, mergeExceptions, type ExceptionsMerge } from '../tune/exceptions-merge';
import type { TuneReport } from '../tune/tune-report';
import { printable } from '../tune/tune-text';
import { UsageError } from './detect-command';
import { TuneExitCode, type TuneIo } from './tune-command';

export interface AcceptedProposal {
  readonly proposalId: string;
  readonly exception: CredentialException;
}

/** A write to the exceptions table stopped part-way; what was written is named, and rerunning is safe. */
export class ExceptionsTableWriteError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ExceptionsTableWriteError';
  }
}

/** The proposals `--accept` names (default: every one proposed); an unknown or withheld id is refused. */
export function acceptedProposals(report: TuneReport, acceptText: string | undefined): AcceptedProposal[] {
  const offered = new Map(
    report.verdicts.flatMap(({ decision }) =>
      decision.status === 'not-proposed' ? [] : [[decision.proposalId, decision] as const],
    ),
  );
  const wanted =
    acceptText === undefined
      ? [...offered.values()].filter((d) => d.status === 'proposed').map((d) => d.proposalId)
      : acceptText
          .split(',')
          .map((id) => id.trim())
          .filter((id) => id !== '');
  return wanted.map((proposalId) => {
    const decision = offered.get(proposalId);
    if (decision === undefined)
      throw new UsageError(
        `--accept: no proposal ${proposalId} (proposals: ${[...offered.keys()].join(', ') || 'none'})`,
      );
    if (decision.status === 'withheld')
      throw new UsageError(`--accept: ${proposalId} is withheld: ${decision.reason}`);
    return { proposalId, exception: decision.exception };
  });
}

/** `--write FILE`: merged into the file (created if absent), written whole by rename. */
export async function writeExceptionsFile(
  path: string,
  accepted: readonly AcceptedProposal[],
  now: Date,
  io: TuneIo,
): Promise<void> {
  const existing = await readExistingFile(path);
  const merge = mergeExceptions(
    existing,
    accepted.map((proposal) => proposal.exception),
    now,
  );
  io.stderr.write(mergeText(path, 'file', merge, 'added', (entry) => describeMatchers(entry)));
  if (merge.added.length === 0) return;
  // Written beside the file and renamed over it: a crash never leaves half a file.
  const temporary = `${path}.credtrail-tune.tmp`;
  await writeFile(temporary, `${JSON.stringify(merge.entries, null, 2)}\n`);
  await rename(temporary, path);
}

/**
 * `--table NAME`: merged into the deployed exceptions table the same way as a file, one new item per
 * added exception (never an existing item replaced or deleted). The changes are always shown; without
 * `confirm` nothing is written and the exit status says so.
 */
export async function writeExceptionsTable(
  tableName: string,
  client: DynamoDBClient,
  accepted: readonly AcceptedProposal[],
  options: { readonly now: Date; readonly confirm: boolean },
  io: TuneIo,
): Promise<number> {
  const table = new ExceptionsTable(client, tableName);
  let loaded: LoadedExceptions;
  try {
    loaded = await table.load();
  } catch (error) {
    throw new ExceptionsTableWriteError(
      `--table ${tableName}: cannot read the exceptions table (${error instanceof Error ? error.message : String(error)}); nothing was written`,
      { cause: error },
    );
  }
  const merge = mergeExceptions(
    loaded.exceptions,
    accepted.map((proposal) => proposal.exception),
    options.now,
  );
  const idOf = new Map(accepted.map((proposal) => [proposal.exception, itemIdOf(proposal)]));
  const where = `exceptions table ${tableName}`;
  io.stderr.write(
    mergeText(
      where,
      'table',
      merge,
      options.confirm ? 'added' : 'to add',
      (entry) => `${idOf.get(entry) ?? '?'}: ${describeMatchers(entry)}`,
    ),
  );
  for (const { exceptionId, problem } of loaded.rejected)
    io.stderr.write(
      printable(`  left as it is, ignored by the detector (${problem}): item ${exceptionId}`) + '\n',
    );
  if (merge.added.length === 0) return TuneExitCode.Ok;
  if (!options.confirm) {
    io.stderr.write(
      `nothing written to ${where}: rerun with --confirm to add the ${merge.added.length} entr${merge.added.length === 1 ? 'y' : 'ies'} above\n`,
    );
    return TuneExitCode.NotWritten;
  }
  const provenance = { addedBy: 'credtrail tune', addedAt: options.now.toISOString() };
  const written: string[] = [];
  for (const entry of merge.added) {
    const exceptionId = idOf.get(entry) ?? '?';
    try {
      if (await table.putNew(exceptionId, entry, provenance)) written.push(exceptionId);
      else io.stderr.write(`  ${exceptionId} already exists (written meanwhile?): left as it is\n`);
    } catch (error) {
      throw new ExceptionsTableWriteError(
        `--table ${tableName}: writing ${exceptionId} failed (${error instanceof Error ? error.message : String(error)}); written before it: ${written.join(', ') || 'none'}; rerunning adds only what is missing`,
        { cause: error },
      );
    }
  }
  io.stderr.write(`${where}: wrote ${written.length} item(s)\n`);
  return TuneExitCode.Ok;
}

/**
 * The item id of an accepted proposal: its id (as printed in the report) and its expiry date, so the
 * same proposal written twice is one item, and a renewal after expiry is a new one beside the old.
 */
function itemIdOf({ proposalId, exception }: AcceptedProposal): string {
  return `${proposalId}-${exception.expiresAt?.slice(0, 10) ?? 'no-expiry'}`;
}

function mergeText(
  where: string,
  container: 'file' | 'table',
  merge: ExceptionsMerge,
  verb: 'added' | 'to add',
  name: (entry: CredentialException) => string,
): string {
  const lines = [
    `${where}: ${merge.added.length} ${verb}, ${merge.kept.length} kept, ${merge.expired.length} expired, ${merge.duplicates.length} already there`,
    ...merge.added.map((entry) => `  ${verb}: ${name(entry)} (expires ${entry.expiresAt ?? 'never'})`),
    ...merge.expired.map(
      (entry) =>
        `  expired (kept in the ${container}, suppresses nothing; renew or delete it): ${describeMatchers(entry)} since ${entry.expiresAt ?? '?'}`,
    ),
    ...merge.duplicates.map((entry) => `  already there, not added: ${describeMatchers(entry)}`),
  ];
  return `${lines.map(printable).join('\n')}\n`;
}

/** The current file, validated; anything unparseable stops the write so nothing in it is lost. */
async function readExistingFile(path: string): Promise<CredentialException[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOENT') return [];
    throw new UsageError(`--write ${path}: cannot read the existing file (${String(error)})`);
  }
  if (text.trim() === '') return [];
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `--write ${path}: refusing to overwrite a file that is not JSON (${error instanceof Error ? error.message : String(error)}); nothing was written`,
    );
  }
  try {
    return parseExceptions(json, path);
  } catch (error) {
    throw new UsageError(
      `--write: refusing to overwrite ${path}: ${error instanceof Error ? error.message : String(error)}; nothing was written`,
    );
  }
}
