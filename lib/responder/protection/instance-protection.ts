import type { TagMatch } from '../response-config-schema';
import { globMatches, matchingTag, PROTECTED_TAG_KEY } from './glob';

export interface InstanceSubject {
  instanceId: string;
  /** As DescribeInstances returned them. */
  tags: Readonly<Record<string, string>>;
}

export interface InstanceProtectionSettings {
  /** Glob patterns on instance ids and on the Name tag. */
  patterns: readonly string[];
  tagMatches: readonly TagMatch[];
}

export type InstanceProtectionRule = (
  instance: InstanceSubject,
  settings: InstanceProtectionSettings,
) => string | null;

export const configuredInstancePattern: InstanceProtectionRule = (instance, settings) => {
  const name = instance.tags.Name;
  const pattern = settings.patterns.find(
    (candidate) =>
      globMatches(candidate, instance.instanceId) || (name !== undefined && globMatches(candidate, name)),
  );
  return pattern === undefined ? null : `instance ${instance.instanceId} is protected by pattern ${pattern}`;
};

export const instanceProtectionTag: InstanceProtectionRule = (instance, settings) => {
  const tag = matchingTag(instance.tags, [{ key: PROTECTED_TAG_KEY }, ...settings.tagMatches]);
  return tag === undefined ? null : `instance ${instance.instanceId} is protected by tag ${tag.key}`;
};
