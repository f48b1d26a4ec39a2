import { matchingTag, PROTECTED_TAG_KEY } from './glob';
import type { RoleProtectionRule } from './role-subject';

// Tags come from GetRole, not from the finding. `credtrail:protected` always protects, whatever the
// configured tag list says.
export const roleProtectionTag: RoleProtectionRule = (role, settings) => {
  const tag = matchingTag(role.tags, [{ key: PROTECTED_TAG_KEY }, ...settings.tagMatches]);
  return tag === undefined ? null : `role ${role.name} is protected by tag ${tag.key}`;
};
