// Apart from response-plan.ts so the notifier, which prints calls but never parses a plan, does not load
// the plan schemas and the incident schema they hold (about 80 zod schemas) at every cold start.

/** One call as a person reads it: the API and its input, with a policy document shown as JSON. */
export function describeCall(call: { readonly api: string; readonly input: object }): string {
  const input: Record<string, unknown> = { ...call.input };
  if (typeof input['PolicyDocument'] === 'string') {
    input['PolicyDocument'] = JSON.parse(input['PolicyDocument']) as unknown;
  }
  return `${call.api} ${JSON.stringify(input)}`;
}
