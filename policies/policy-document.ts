/** The slice of the IAM policy grammar the responder writes. */
export type ConditionBlock = Record<string, Record<string, string | string[]>>;

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: string | string[];
  Condition?: ConditionBlock;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

/**
 * IAM counts a role's inline policies against 10,240 characters with whitespace removed
 * (IAM User Guide, "IAM and AWS STS quotas": role policy size).
 */
export const ROLE_INLINE_POLICY_CHARACTER_LIMIT = 10_240;

export function countPolicyCharacters(document: string): number {
  return document.replace(/\s/g, '').length;
}

/** Serialised without indentation: the form we send to PutRolePolicy and compare for idempotency. */
export function serialisePolicy(document: PolicyDocument): string {
  return JSON.stringify(document);
}
