import { mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** `--state local:DIR` names a directory that cannot hold state (missing parent, not writable, /proc…). */
export class StateDirectoryError extends Error {
  constructor(directory: string, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code ?? 'error';
    super(`--state local:${directory}: not a usable state directory (${code})`, { cause });
    this.name = 'StateDirectoryError';
  }
}

/** Another credtrail run holds the state directory. */
export class StateDirectoryBusyError extends Error {
  constructor(directory: string, pid: string) {
    super(
      `--state local:${directory} is in use by another credtrail run (pid ${pid}); wait for it to finish or use another directory`,
    );
    this.name = 'StateDirectoryBusyError';
  }
}

const LOCK_FILE = 'credtrail.lock';

/**
 * Creates the directory (its parent must exist: Node's recursive mkdir spins forever under /proc) and
 * takes its lock file, so two runs never open the same embedded database. A lock left by a dead
 * process is taken over. Returns the release function.
 */
export async function lockStateDirectory(directory: string): Promise<() => Promise<void>> {
  try {
    await mkdir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new StateDirectoryError(directory, error);
  }
  const path = join(directory, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new StateDirectoryError(directory, error);
    }
    const holder = (await readFile(path, 'utf8').catch(() => '')).trim();
    if (isAlive(holder)) throw new StateDirectoryBusyError(directory, holder);
    // Empty and fresh: another run created it and is about to write its pid. Taking it over now would
    // let both runs open the database.
    if (holder === '' && (await isFresh(path)))
      throw new StateDirectoryBusyError(directory, 'not yet written');
    await rm(path, { force: true });
  }
  throw new StateDirectoryBusyError(directory, 'unknown');
}

const STARTING_GRACE_MS = 10_000;

async function isFresh(path: string): Promise<boolean> {
  const info = await stat(path).catch(() => undefined);
  return info !== undefined && Date.now() - info.mtimeMs < STARTING_GRACE_MS;
}

function isAlive(pid: string): boolean {
  const id = Number(pid);
  if (!Number.isInteger(id) || id <= 0) return false;
  try {
    process.kill(id, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
