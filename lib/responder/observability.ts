import { Logger } from '@aws-lambda-powertools/logger';

/** The responder's one logger, built once and imported by the handler and the wiring. */
export const logger = new Logger({ serviceName: 'credtrail-responder' });
