import { DeleteRolePolicyCommand, GetRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
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

  it('without credentials says AWS could not be read, names --offline, and blocks nothing later', async () => {
    // Prepare: the SDK's default chain finds no credentials, so every read fails before AWS.
    const noCredentials = Object.assign(new Error('Could not load credentials from any providers'), {
      name: 'CredentialsProviderError',
    });
    iamMock.on(GetRoleCommand).rejects(noCredentials);
    const audit = join(dir, 'no-credentials');
    // Act
    const first = await run(['respond', findingPath, '--audit-dir', audit]);
    const offline = await run(['respond', findingPath, '--offline', '--audit-dir', audit]);
    primeAccount();
    const later = await run(['respond', findingPath, '--audit-dir', audit]);
    const enforced = await run(['respond', findingPath, '--enforce', '--audit-dir', audit]);
    // Assess
    expect(first.code).toBe(2);
    expect(first.err.join('')).toMatch(/AWS could not be read .*Could not load credentials.*--offline/);
    expect(first.out.join('')).toBe('');
    expect(offline.code).toBe(0);
    expect(offline.out.join('')).toMatch(/\[0\] revoke-sessions: planned/);
    expect(later.code).toBe(0);
    expect(later.out.join('')).toMatch(/mode dry-run, decision respond, status planned/);
    expect(enforced.code).toBe(0);
    expect(enforced.out.join('')).toMatch(/status completed/);
    expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(2);
  });

  it('a refused call ends the response as failed, printed, exit 1', async () => {
    iamMock
      .on(PutRolePolicyCommand)
      .rejects(Object.assign(new Error('User is not authorized'), { name: 'AccessDenied' }));
    const io = await run(['respond', findingPath, '--enforce', '--audit-dir', join(dir, 'refused-call')]);
    expect(io.code).toBe(1);
    expect(io.out.join('')).toMatch(/\[0\] revoke-sessions: failed/);
    expect(io.err.join('')).toMatch(/response failed: executing a step: AccessDenied/);
  });
});
