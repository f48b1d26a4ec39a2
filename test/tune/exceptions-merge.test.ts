import type { CredentialException } from '../../lib/engine/credential-exception';
import { describeMatchers, mergeExceptions } from '../../lib/tune/exceptions-merge';

const NOW = new Date('2026-11-28T00:00:00Z');
const EKS: CredentialException = {
  cidr: '100.64.0.0/23',
  accountId: '111111111111',
  roleName: 'eks-node',
  vpcId: 'vpc-0eks',
  reason: 'credtrail tune: pods',
  expiresAt: '2027-02-26T00:00:00Z',
};

describe('mergeExceptions', () => {
  it('keeps every existing entry, adds new proposals after them', () => {
    // Prepare
    const existing: CredentialException[] = [{ vpcEndpointId: 'vpce-0central', reason: 'central endpoints' }];

    // Act
    const merge = mergeExceptions(existing, [EKS], NOW);

    // Assess
    expect(merge.entries).toEqual([...existing, EKS]);
    expect(merge.added).toEqual([EKS]);
    expect(merge.kept).toEqual(existing);
  });

  it('does not add a proposal whose matchers a live entry already has, whatever its reason', () => {
    // Prepare
    const handWritten = { ...EKS, reason: 'written by hand', expiresAt: undefined };
    delete handWritten.expiresAt;

    // Act
    const merge = mergeExceptions([handWritten], [EKS, EKS], NOW);

    // Assess
    expect(merge.entries).toEqual([handWritten]);
    expect(merge.duplicates).toEqual([EKS, EKS]);
    expect(merge.added).toEqual([]);
  });

  it('reports expired entries, keeps them in the file, and renews one a proposal repeats', () => {
    // Prepare
    const expired = { ...EKS, expiresAt: '2026-11-01T00:00:00Z' };
    const otherExpired = { roleName: 'ci-runner', reason: 'runners', expiresAt: '2026-10-01T00:00:00Z' };

    // Act
    const merge = mergeExceptions([expired, otherExpired], [EKS], NOW);

    // Assess
    expect(merge.expired).toEqual([expired, otherExpired]);
    expect(merge.entries).toEqual([expired, otherExpired, EKS]);
    expect(merge.added).toEqual([EKS]);
  });

  it('an entry differing in one matcher is a different exception', () => {
    // Act
    const merge = mergeExceptions([EKS], [{ ...EKS, vpcId: 'vpc-0other' }], NOW);

    // Assess
    expect(merge.added).toHaveLength(1);
  });

  it('names matchers in a fixed order', () => {
    expect(describeMatchers(EKS)).toBe(
      'cidr 100.64.0.0/23, vpcId vpc-0eks, accountId 111111111111, roleName eks-node',
    );
  });
});
