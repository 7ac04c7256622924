import { mkdir, open, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'

/** Thrown when another live process holds the embedded database. */
export class DatabaseLockedError extends Error {
  override name = 'DatabaseLockedError'
}

/** Lock file beside (not inside) the PGlite data directory: `DATA_DIR/db.lock`. */
export function embeddedLockPath(dataDir: string): string {
  return join(dataDir, 'db.lock')
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * PGlite's data directory belongs to one process: take an exclusive lock file holding our
 * pid, replacing it only when its owner is gone. Returns the release function.
 */
export async function acquireEmbeddedLock(dataDir: string): Promise<() => Promise<void>> {
  await mkdir(dataDir, { recursive: true })
  const file = embeddedLockPath(dataDir)
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx')
      await handle.writeFile(JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() }))
      await handle.close()
      return async () => {
        await rm(file, { force: true })
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    let pid = NaN
    try {
      pid = Number(JSON.parse(await readFile(file, 'utf8')).pid)
    } catch {
      // unreadable lock: treated as stale below
    }
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
      throw new DatabaseLockedError(
        `the embedded database in ${join(dataDir, 'db')} is in use by process ${pid} (a running "spider-bench serve"?); ` +
          `stop that process first, or use Postgres by setting DATABASE_URL`,
      )
    }
    if (pid === process.pid)
      throw new DatabaseLockedError(`the embedded database in ${join(dataDir, 'db')} is already open in this process`)
    await rm(file, { force: true })
  }
  throw new DatabaseLockedError(`could not lock ${file}`)
}
