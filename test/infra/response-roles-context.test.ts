import { Template } from 'aws-cdk-lib/assertions';
import { CentralConfigSchema, CredtrailConfigError, readConfig } from '../../lib/infra/credtrail-config';
import { parseResponseConfig, settingsForRole } from '../../lib/responder/response-config-schema';
import { centralStack, REQUIRED_CONTEXT } from './stack-fixtures';

interface FunctionProperties {
  Environment: { Variables: Record<string, unknown> };
}

function responseConfigOf(template: Template) {
  const [fn] = Object.entries(template.findResources('AWS::Lambda::Function'))
    .filter(([id]) => id.startsWith('ResponderFunction'))
    .map(([, resource]) => (resource as { Properties: FunctionProperties }).Properties);
  return parseResponseConfig(String(fn?.Environment.Variables['RESPONSE_CONFIG']));
}

describe('credtrail:responseRoles', () => {
  it('carries per-role rules into the responder configuration: one role enforced, the rest in dry-run', () => {
    // Act
    const config = responseConfigOf(
      Template.fromStack(
        centralStack({ 'credtrail:responseRoles': '[{"pattern":"prod-web-*","mode":"enforce"}]' }),
      ),
    );

    // Assess
    expect(config.mode).toBe('dry-run');
    expect(settingsForRole(config, 'prod-web-InstanceRole-1').mode).toBe('enforce');
    expect(settingsForRole(config, 'prod-batch-InstanceRole-1').mode).toBe('dry-run');
  });

  it('rejects a malformed rule, naming the setting', () => {
    expect(() =>
      readConfig(CentralConfigSchema, {
        ...REQUIRED_CONTEXT,
        'credtrail:responseRoles': '[{"pattern":"x"}]',
      }),
    ).toThrow(CredtrailConfigError);
    expect(() =>
      readConfig(CentralConfigSchema, {
        ...REQUIRED_CONTEXT,
        'credtrail:responseRoles': '[{"pattern":"x"}]',
      }),
    ).toThrow(/credtrail:responseRoles/);
  });
});
