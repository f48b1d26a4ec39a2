import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { DeleteRolePolicyCommand } from '@aws-sdk/client-iam';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { lambdaContext } from '../support/lambda-context';
import { Command } from 'commander';
import { registerRespondCommands, type RespondIo } from '../../lib/cli/respond-command';
import { makeIdempotentResponder } from '../../lib/responder/responder-lambda';
import type { ResponderDependencies } from '../../lib/responder/responder-service';
import { startLocalDynamo, type LocalDynamo } from '../support/dynalite';
import { dependencies, iamMock, mutatingCommands, primeAccount } from './aws-mocks';
import { config, credtrailEvent } from './responder-fixtures';

const IDEMPOTENCY_TABLE = 'credtrail-idempotency-undo';
const lambdaMock = mockClient(LambdaClient);

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

describe('operator undo through the responder Lambda', () => {
  let dynamo: LocalDynamo;
  let deps: ResponderDependencies;
  let handler: ReturnType<typeof makeIdempotentResponder>;
  beforeAll(async () => {
    dynamo = await startLocalDynamo();
    await dynamo.client.send(
      new CreateTableCommand({
        TableName: IDEMPOTENCY_TABLE,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      }),
    );
  });
  afterAll(() => dynamo.stop());
  beforeEach(() => {
    primeAccount();
    lambdaMock.reset();
    deps = dependencies(config({ mode: 'enforce' }));
    handler = makeIdempotentResponder({
      deps,
      idempotencyTableName: IDEMPOTENCY_TABLE,
      dynamo: dynamo.client,
    });
    // The Lambda service, as far as the CLI can tell: the payload goes to the real handler.
    lambdaMock.on(InvokeCommand).callsFake(async (input: { Payload?: Uint8Array }) => {
      const request: unknown = JSON.parse(new TextDecoder().decode(input.Payload));
      const answer = await handler(request, lambdaContext('credtrail-responder'));
      return { StatusCode: 200, Payload: new TextEncoder().encode(JSON.stringify(answer)) };
    });
  });

  async function undo(args: string[]) {
    const io = capture();
    const program = new Command().exitOverride();
    registerRespondCommands(program, io);
    await program.parseAsync(['node', 'credtrail', 'undo', ...args]);
    return io;
  }

  it('`credtrail undo INC --lambda FN` undoes an enforced response', async () => {
    // Prepare: the Lambda enforced a response to a finding.
    const event = structuredClone(credtrailEvent);
    event.detail.findingId = 'fedcba9876543210fedcba9876543210';
    const response = await handler(event, lambdaContext('credtrail-responder'));
    expect(response).toEqual(expect.objectContaining({ status: 'completed' }));
    iamMock.resetHistory();
    // Act
    const io = await undo([response.incidentId ?? '', '--lambda', 'credtrail-responder']);
    // Assess
    expect(io.err).toEqual([]);
    expect(io.code).toBe(0);
    expect(io.out.join('')).toMatch(/undone/);
    expect(lambdaMock.commandCalls(InvokeCommand)[0]?.args[0].input.FunctionName).toBe('credtrail-responder');
    expect(
      iamMock
        .commandCalls(DeleteRolePolicyCommand)
        .map((call) => call.args[0].input.PolicyName)
        .sort(),
    ).toEqual(['CredtrailPinToNetwork', 'RevokeOldSessions']);
  });

  it('the Lambda refuses anything but an incident id, and an unknown incident', async () => {
    const extra = await handler(
      { action: 'undo', incidentId: 'inc-0123456789abcdef0123', roleName: 'Admin' },
      lambdaContext('credtrail-responder'),
    );
    const malformed = await handler(
      { action: 'undo', incidentId: '../../etc' },
      lambdaContext('credtrail-responder'),
    );
    const unknown = await undo(['inc-0123456789abcdef0123', '--lambda', 'credtrail-responder']);
    expect(extra).toEqual(
      expect.objectContaining({ status: 'refused', reason: expect.stringContaining('roleName') }),
    );
    expect(malformed).toEqual(
      expect.objectContaining({ status: 'refused', reason: expect.stringContaining('incident id') }),
    );
    expect(unknown.code).toBe(1);
    expect(unknown.err.join('')).toMatch(
      /refused: no enforced response recorded for incident inc-0123456789abcdef0123/,
    );
    expect(mutatingCommands(iamMock)).toEqual([]);
  });

  it('reports a function error instead of guessing', async () => {
    lambdaMock.on(InvokeCommand).callsFake(() => ({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: new TextEncoder().encode('{"errorMessage":"boom"}'),
    }));
    const io = await undo(['inc-0123456789abcdef0123', '--lambda', 'credtrail-responder']);
    expect(io.code).toBe(2);
    expect(io.err.join('')).toMatch(/credtrail-responder failed \(Unhandled\): .*boom/);
  });
});
