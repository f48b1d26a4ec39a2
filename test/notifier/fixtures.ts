import { ResponseConfigSchema, type ResponseConfig } from '../../lib/responder/response-config-schema';

export { loadEvent } from '../fixtures/events/load-event';

/** The responder's configuration with its own defaults filled in, as the notifier gets it. */
export function responseConfig(input: unknown = {}): ResponseConfig {
  return ResponseConfigSchema.parse(input);
}
