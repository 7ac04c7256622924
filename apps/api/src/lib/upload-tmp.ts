/**
 * Where uploads are received: `DATA_DIR/tmp/<host>-<pid>-<start>/<upload>`, one folder per API
 * process. A process killed during an upload cannot remove its files; the next API process
 * that starts on the same host removes the folders of processes that no longer run (a pid
 * reused by another process does not match the recorded start time). Folders of other hosts
 * (a DATA_DIR shared by several machines) are left to those hosts.
 */
import { readFileSync } from 'node:fs'
import { readdir, rm, stat } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'

/** Start time of a process in clock ticks since boot (/proc/PID/stat field 22), or null off Linux / when gone. */
function startTimeOf(pid: number): string | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return text.slice(text.lastIndexOf(')') + 2).split(' ')[19] ?? null
  } catch {
    return null
  }
}

const HOST = hostname().replace(/[^A-Za-z0-9.]/g, '_')
const OWN = `${HOST}-${process.pid}-${startTimeOf(process.pid) ?? 'x'}`
const FOLDER = /^(.+)-(\d+)-(\d+|x)$/
/** Folders of the layout before per-process folders (a bare upload id) go when this old. */
const LEGACY_MAX_AGE_MS = 3_600_000

/** This process as `<host>-<pid>-<start time>`: names its upload folder and the upload slots it holds. */
export function processIdentity(): string {
  return OWN
}

/** Whether `identity` (see processIdentity) names a process of this host that no longer runs. */
export function isDeadLocalProcess(identity: string): boolean {
  const match = FOLDER.exec(identity)
  return match !== null && match[1] === HOST && identity !== OWN && !runs(Number(match[2]), match[3])
}

/** This process's folder under `tmpRoot` (uploads go into fresh subfolders of it). */
export function processUploadDir(tmpRoot: string): string {
  return join(tmpRoot, OWN)
}

function runs(pid: number, start: string): boolean {
  if (start === 'x') {
    try {
      process.kill(pid, 0)
      return true
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM'
    }
  }
  return startTimeOf(pid) === start
}

/**
 * Removes what interrupted uploads left under `tmpRoot`: the folders of API processes of this
 * host that no longer run, and old folders of the previous layout. Returns the names removed.
 */
export async function sweepUploadTmp(tmpRoot: string): Promise<string[]> {
  let entries: string[]
  try {
    entries = await readdir(tmpRoot)
  } catch {
    return []
  }
  const removed: string[] = []
  for (const name of entries) {
    if (name === OWN) continue
    const match = FOLDER.exec(name)
    let stale = false
    if (match) stale = isDeadLocalProcess(name)
    else if (/^[0-9a-f-]{36}$/.test(name)) stale = Date.now() - (await stat(join(tmpRoot, name)).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs > LEGACY_MAX_AGE_MS
    if (!stale) continue
    await rm(join(tmpRoot, name), { recursive: true, force: true })
    removed.push(name)
  }
  return removed
}
