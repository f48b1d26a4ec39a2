import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SNSClient } from '@aws-sdk/client-sns';
import { STSClient } from '@aws-sdk/client-sts';
import { Logger } from '@aws-lambda-powertools/logger';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAMBDA_ENV } from '../../scripts/bench/timing';
import { loadEvent } from '../fixtures/events/load-event';

/**
 * What each Lambda builds at cold start: none of the schemas it defers (lazySchema), which only the
 * events that need them build. A deferred schema used at a module's top (`X.extend(…)`, `X.optional()`)
 * would be built at every cold start again, silently; these tests see it.
 *
 * Each test loads the modules afresh with lazySchema wrapped to count the schemas it builds.
 */
type Modules = Record<string, Record<string, unknown>>;

async function loadCounting(
  paths: Record<string, string>,
): Promise<{ modules: Modules; builds: () => number }> {
  let builds = 0;
  const modules: Modules = {};
  await jest.isolateModulesAsync(async () => {
    jest.doMock('../../lib/contracts/lazy-schema', () => {
      const actual = jest.requireActual<typeof import('../../lib/contracts/lazy-schema')>(
        '../../lib/contracts/lazy-schema',
      );
      return {
        lazySchema: <T extends object>(build: () => T): T =>
          actual.lazySchema(() => {
            builds += 1;
            return build();
          }),
      };
    });
    for (const [name, path] of Object.entries(paths)) {
      modules[name] = (await import(path)) as Record<string, unknown>;
    }
  });
  return { modules, builds: () => builds };
}

const clientConfig = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' },
};

describe('schemas built at cold start', () => {
  it('the responder builds none it defers at cold start, and a GuardDuty finding builds what it needs', async () => {
    const { modules, builds } = await loadCounting({
      lambda: '../../lib/responder/responder-lambda',
      config: '../../lib/responder/response-config-schema',
      environment: '../../lib/responder/responder-environment',
      normaliser: '../../lib/responder/incident-normaliser',
    });
    const { createResponderDependencies, makeIdempotentResponder } = modules[
      'lambda'
    ] as typeof import('../../lib/responder/responder-lambda');
    const { parseResponseConfig } = modules[
      'config'
    ] as typeof import('../../lib/responder/response-config-schema');
    const { ResponderEnvironmentSchema } = modules[
      'environment'
    ] as typeof import('../../lib/responder/responder-environment');
    const { normaliseEvent } = modules[
      'normaliser'
    ] as typeof import('../../lib/responder/incident-normaliser');

    // What handlers/responder-handler.ts does at cold start.
    const env = ResponderEnvironmentSchema.parse(LAMBDA_ENV);
    const dynamo = new DynamoDBClient(clientConfig);
    const deps = createResponderDependencies(
      env,
      parseResponseConfig(env.RESPONSE_CONFIG),
      { sts: new STSClient(clientConfig), eventBridge: new EventBridgeClient(clientConfig), dynamo },
      new Logger({ serviceName: 'test' }),
    );
    makeIdempotentResponder({ deps, idempotencyTableName: env.IDEMPOTENCY_TABLE_NAME, dynamo });
    expect(builds()).toBe(0);

    const normalised = normaliseEvent(loadEvent('instance-credential-exfiltration-outside-aws.json'), {
      trustedPublisherAccounts: [],
    });
    expect(normalised.ok).toBe(true);
    expect(builds()).toBeGreaterThan(0);
  });

  it('the notifier builds none it defers at cold start, and a GuardDuty finding builds what it needs', async () => {
    const { modules, builds } = await loadCounting({
      app: '../../lib/notifier/notifier-app',
      renderer: '../../lib/notifier/alert-renderer',
      config: '../../lib/responder/response-config-schema',
    });
    const { createNotifierHandler } = modules['app'] as typeof import('../../lib/notifier/notifier-app');
    const { renderEvent } = modules['renderer'] as typeof import('../../lib/notifier/alert-renderer');
    const { parseResponseConfig } = modules[
      'config'
    ] as typeof import('../../lib/responder/response-config-schema');

    createNotifierHandler(LAMBDA_ENV, {
      dynamo: new DynamoDBClient(clientConfig),
      sns: new SNSClient(clientConfig),
      logger: new Logger({ serviceName: 'test' }),
    });
    expect(builds()).toBe(0);

    const rendered = renderEvent(loadEvent('instance-credential-exfiltration-outside-aws.json'), {
      config: parseResponseConfig('{}'),
      severityThreshold: 7,
    });
    expect(rendered.kind).toBe('alert');
    expect(builds()).toBeGreaterThan(0);
  });

  it('the detector builds no message format at cold start, and each message only the formats it tries', async () => {
    const { modules, builds } = await loadCounting({
      batch: '../../lib/detector/detector-batch',
      queue: '../../lib/detector/queue-message',
    });
    const { parseQueueMessage } = modules['queue'] as typeof import('../../lib/detector/queue-message');
    expect(builds()).toBe(0);

    const fixture = (name: string) => readFileSync(join(__dirname, '../fixtures/detector', name), 'utf8');
    expect(parseQueueMessage(fixture('s3-event.json'))).toHaveLength(1);
    const afterS3Event = builds();
    expect(afterS3Event).toBeGreaterThan(0);

    // CloudTrail's notice is tried after the S3 event: its schema was not built for the S3 message.
    expect(parseQueueMessage(fixture('cloudtrail-sns-notice.json'))).toHaveLength(1);
    expect(builds()).toBeGreaterThan(afterS3Event);
  });
});
