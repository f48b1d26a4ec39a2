import { PutRolePolicyCommand, DeleteRolePolicyCommand } from '@aws-sdk/client-iam';
import { Command } from 'commander';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerRespondCommands, type RespondIo } from '../../lib/cli/respond-command';
import { iamMock, mutatingCommands, primeAccount } from './aws-mocks';
import { credtrailEvent, outsideAwsEvent } from './responder-fixtures';

function capture(): RespondIo & { out: string[]; err: string[]; code: number | null } {
  const io = {
    out: [] as string[],
    err: [] as string[],
    code: null as number | null,
    stdout: { write: (text: string) => io.out.push(text) },
    stderr: { write: (text: string) => io.err.push(text) },
    setExitCode: (code: number) => {
      io.code = code;
    },
  };
  return io;
}

async function run(args: string[]) {
  const io = capture();
  const program = new Command().exitOverride();
  registerRespondCommands(program, io);
  await program.parseAsync(['node', 'credtrail', ...args]);
  return io;
}

describe('credtrail respond / undo', () => {
  const dir = mkdtempSync(join(tmpdir(), 'credtrail-cli-'));
  const auditDir = join(dir, 'audit');
  const findingPath = join(dir, 'finding.json');
  writeFileSync(findingPath, JSON.stringify(outsideAwsEvent));
  beforeEach(() => primeAccount());

  it('prints an offline plan from a bare credtrail finding detail without calling AWS', async () => {
    const bare = join(dir, 'bare.json');
    writeFileSync(bare, JSON.stringify(structuredClone(credtrailEvent).detail));
    const io = await run(['respond', bare, '--offline', '--audit-dir', join(dir, 'offline')]);
    expect(io.code).toBe(0);
    expect(io.out.join('')).toMatch(/\[0\] revoke-sessions: planned/);
    expect(io.out.join('')).toMatch(/iam:PutRolePolicy .*CredtrailPinToNetwork/);
    expect(iamMock.calls()).toHaveLength(0);
  });

  it('refuses --enforce with --offline', async () => {
    const io = await run([
      'respond',
      findingPath,
      '--offline',
      '--enforce',
      '--audit-dir',
      join(dir, 'refused'),
    ]);
    expect(io.code).toBe(2);
    expect(io.err.join('')).toMatch(/cannot be enforced/);
  });

  it('dry-runs by default, enforces with --enforce, and undoes from the audit folder', async () => {
    const dryRun = await run(['respond', findingPath, '--audit-dir', auditDir]);
    expect(mutatingCommands(iamMock)).toEqual([]);
    const enforced = await run(['respond', findingPath, '--enforce', '--audit-dir', auditDir, '--json']);
    const incidentId = (JSON.parse(enforced.out.join('')) as { incidentId: string }).incidentId;
    const undone = await run(['undo', incidentId, '--audit-dir', auditDir]);
    expect(dryRun.out.join('')).toMatch(/mode dry-run, decision respond, status planned/);
    expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(2);
    expect(iamMock.commandCalls(DeleteRolePolicyCommand)).toHaveLength(2);
    expect(undone.out.join('')).toMatch(/undone/);
  });
});
