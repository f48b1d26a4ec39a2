import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

// Built once per container and imported wherever the detector logs or counts.
export const logger = new Logger({ serviceName: 'credtrail-detector' });
export const metrics = new Metrics({ namespace: 'credtrail', serviceName: 'credtrail-detector' });
