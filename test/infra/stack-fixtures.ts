import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CentralStack } from '../../lib/infra/central-stack';
import { CentralConfigSchema, MemberConfigSchema, readConfig } from '../../lib/infra/credtrail-config';
import { MemberStack } from '../../lib/infra/member-stack';

export const CENTRAL_ACCOUNT = '111111111111';
export const REQUIRED_CONTEXT = {
  'credtrail:alertEmails': ['oncall@example.com', 'secops@example.com'],
  'credtrail:cloudTrailBucketName': 'org-trail',
};

/** A central stack with placeholder Lambda code: assertions read the template, no esbuild needed. */
export function centralStack(context: Record<string, unknown> = {}): CentralStack {
  const app = new App();
  return new CentralStack(app, 'Central', {
    config: readConfig(CentralConfigSchema, { ...REQUIRED_CONTEXT, ...context }),
    lambdaCode: 'placeholder',
    env: { account: CENTRAL_ACCOUNT, region: 'us-east-1' },
  });
}

export function memberStack(context: Record<string, unknown> = {}): MemberStack {
  const app = new App();
  return new MemberStack(app, 'Member', {
    config: readConfig(MemberConfigSchema, { 'credtrail:centralAccountId': CENTRAL_ACCOUNT, ...context }),
  });
}

export interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, unknown>;
  Principal?: unknown;
}

/** Every statement of every AWS::IAM::Policy attached to the role whose logical id starts with `rolePrefix`. */
export function roleStatements(template: Template, rolePrefix: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((policy) =>
      (policy['Properties'] as { Roles: { Ref: string }[] }).Roles.some((r) => r.Ref.startsWith(rolePrefix)),
    )
    .flatMap(
      (policy) =>
        (policy['Properties'] as { PolicyDocument: { Statement: Statement[] } }).PolicyDocument.Statement,
    );
}

export function actionsOf(statements: readonly Statement[]): string[] {
  return statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort();
}

export function logicalId(template: Template, type: string, prefix: string): string {
  const id = Object.keys(template.findResources(type)).find((key) => key.startsWith(prefix));
  if (id === undefined) throw new Error(`no ${type} starting with ${prefix}`);
  return id;
}
