/**
 * The responder's default severity threshold, in a module of its own so that the CLI can show it in
 * `--help` without loading the event patterns (and zod with them).
 * GuardDuty's HIGH band starts at 7.0; credtrail's HIGH is 8.
 */
export const DEFAULT_RESPONDER_SEVERITY_THRESHOLD = 7;
