import { NoInventory, type DetectionOptions } from '../../lib/cli/detect-run';
import { ExceptionList } from '../../lib/engine/credential-exception';
import { MemoryStore } from '../../lib/state/memory-store';

/**
 * `runDetection`'s options as a test hunt over local files wants them: a fresh MemoryStore, no
 * inventory, no exceptions, the recipients trusted, an hour's reorder window and no S3. A test names
 * only what it is about.
 */
export function huntOptions(
  overrides: Partial<DetectionOptions> & Pick<DetectionOptions, 'paths'>,
): DetectionOptions {
  return {
    store: new MemoryStore(),
    networks: new NoInventory(),
    exceptions: new ExceptionList([]),
    trustedAccounts: new Set(),
    trustRecipientAccounts: true,
    reorderWindowMs: 3_600_000,
    clock: Date.now,
    s3: () => Promise.reject(new Error('no S3 in this test')),
    ...overrides,
  };
}
