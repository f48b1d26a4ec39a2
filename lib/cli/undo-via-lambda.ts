import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import * as z from 'zod';
import { UndoResponseSchema, type UndoRequest, type UndoResponse } from '../responder/undo-request';

export class UndoInvocationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UndoInvocationError';
  }
}

/**
 * Asks the deployed responder Lambda to undo an incident: the member response role trusts only the
 * responder's role, so an operator needs `lambda:InvokeFunction` on the function, not the member role.
 */
export async function undoThroughLambda(
  lambda: LambdaClient,
  functionName: string,
  request: UndoRequest,
): Promise<UndoResponse> {
  const result = await lambda.send(
    new InvokeCommand({
      FunctionName: functionName,
      InvocationType: 'RequestResponse',
      Payload: new TextEncoder().encode(JSON.stringify(request)),
    }),
  );
  const text = result.Payload === undefined ? '' : new TextDecoder().decode(result.Payload);
  if (result.FunctionError !== undefined) {
    throw new UndoInvocationError(`${functionName} failed (${result.FunctionError}): ${text.slice(0, 500)}`);
  }
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch (error) {
    throw new UndoInvocationError(`${functionName} returned no JSON`, { cause: error });
  }
  const parsed = UndoResponseSchema.safeParse(payload);
  if (!parsed.success)
    throw new UndoInvocationError(
      `${functionName} did not answer with an undo result: ${z.prettifyError(parsed.error)}`,
    );
  return parsed.data;
}
