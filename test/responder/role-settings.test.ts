import { normaliseEvent } from '../../lib/responder/incident-normaliser';
import type { Incident } from '../../lib/responder/incident-schema';
import { parseResponseConfig, settingsForRole } from '../../lib/responder/response-config-schema';
import { planResponse } from '../../lib/responder/response-planner';
import { respondToIncident } from '../../lib/responder/responder-service';
import { dependencies, ec2Mock, iamMock, mutatingCommands, primeAccount } from './aws-mocks';
import { config, NOW, observedState, outsideAwsEvent } from './responder-fixtures';

function incidentOf(event: unknown): Incident {
  const result = normaliseEvent(structuredClone(event), { trustedPublisherAccounts: [] });
  if (!result.ok) throw new Error(result.reason);
  return result.incident;
}

// The fixture's role is WebAppRole.
describe('per-role response settings', () => {
  it('the first matching role rule wins; what it leaves out comes from the top level', () => {
    // Prepare
    const configured = config({
      mode: 'dry-run',
      actions: { HIGH: ['revoke-sessions'], MEDIUM: ['pin-to-network'] },
      roles: [
        { pattern: 'WebApp*', mode: 'enforce' },
        { pattern: '*', actions: { HIGH: [] } },
      ],
    });

    // Act
    const web = settingsForRole(configured, 'WebAppRole');
    const other = settingsForRole(configured, 'batch-role');

    // Assess
    expect(web).toEqual({
      mode: 'enforce',
      actions: { HIGH: ['revoke-sessions'], MEDIUM: ['pin-to-network'], LOW: [] },
      rule: 'WebApp*',
    });
    expect(other).toEqual({
      mode: 'dry-run',
      actions: { HIGH: [], MEDIUM: ['pin-to-network'], LOW: [] },
      rule: '*',
    });
  });

  it('a role without a rule keeps the top-level settings', () => {
    expect(settingsForRole(config({ mode: 'enforce' }), 'WebAppRole')).toMatchObject({
      mode: 'enforce',
      rule: null,
    });
  });

  it('rejects a rule with neither mode nor actions, and unknown keys', () => {
    expect(() => parseResponseConfig('{"roles":[{"pattern":"web-*"}]}')).toThrow(/needs a mode or actions/);
    expect(() => parseResponseConfig('{"roles":[{"pattern":"web-*","mode":"enforce","x":1}]}')).toThrow(
      /invalid response configuration/,
    );
  });

  it('the planner takes the role rule’s actions and mode', () => {
    // Prepare
    const incident = incidentOf(outsideAwsEvent);
    const base = { incident, observed: observedState(), now: NOW, responderRoleNames: [] };

    // Act
    const quiet = planResponse({
      ...base,
      config: config({ roles: [{ pattern: 'WebAppRole', actions: { HIGH: [] } }] }),
    });
    const enforced = planResponse({
      ...base,
      config: config({ roles: [{ pattern: 'WebAppRole', mode: 'enforce' }] }),
    });
    const otherRole = planResponse({
      ...base,
      config: config({ roles: [{ pattern: 'batch-*', mode: 'enforce', actions: { HIGH: [] } }] }),
    });

    // Assess
    expect(quiet.decision).toBe('alert-only');
    expect(quiet.reasons).toEqual(['no actions configured for severity HIGH (role rule "WebAppRole")']);
    expect(enforced).toMatchObject({ mode: 'enforce', decision: 'respond' });
    expect(otherRole).toMatchObject({ mode: 'dry-run', decision: 'respond' });
  });

  describe('respondToIncident', () => {
    beforeEach(() => primeAccount());

    it('acts on a role switched to enforce while the rest of the estate stays in dry-run', async () => {
      // Prepare
      const enforcedDeps = dependencies(config({ roles: [{ pattern: 'WebApp*', mode: 'enforce' }] }));

      // Act
      const outcome = await respondToIncident(incidentOf(outsideAwsEvent), enforcedDeps);

      // Assess
      expect(outcome.plan?.mode).toBe('enforce');
      expect(outcome.status).toBe('completed');
      expect(mutatingCommands(iamMock)).toContain('PutRolePolicy');
    });

    it('leaves a role in dry-run when only another role is enforced', async () => {
      // Prepare
      const deps = dependencies(config({ roles: [{ pattern: 'batch-*', mode: 'enforce' }] }));

      // Act
      const outcome = await respondToIncident(incidentOf(outsideAwsEvent), deps);

      // Assess
      expect(outcome.plan?.mode).toBe('dry-run');
      expect(mutatingCommands(iamMock)).toEqual([]);
      expect(mutatingCommands(ec2Mock)).toEqual([]);
    });
  });
});
