/**
 * Where uploads are received: `DATA_DIR/tmp/<host>-<pid>-<start>-<upload id>/`, a folder per
 * upload named after the API process receiving it. A process killed during an upload cannot
 * remove its folder; the next API process that starts on the same host removes the folders of
 * processes that no longer run (a pid reused by another process does not match the recorded
 * start time). Folders of other hosts (a DATA_DIR shared by several machines) are left to them.
 */
import { randomUUID } from 'node:crypto'
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
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
const IDENTITY = /^(.+)-(\d+)-(\d+|x)$/
const UPLOAD_FOLDER = new RegExp(`^(.+-\\d+-(?:\\d+|x))-${UUID}$`)
const LEGACY_FOLDER = new RegExp(`^${UUID}$`)
/** Folders of the layout before process names (a bare upload id) go when this old. */
const LEGACY_MAX_AGE_MS = 3_600_000

/** This process as `<host>-<pid>-<start time>`: names its upload folders and the upload slots it holds. */
export function processIdentity(): string {
  return OWN
}

/** Whether `identity` (see processIdentity) names a process of this host that no longer runs. */
export function isDeadLocalProcess(identity: string): boolean {
  const match = IDENTITY.exec(identity)
  return match !== null && match[1] === HOST && identity !== OWN && !runs(Number(match[2]), match[3])
}

/** A fresh folder name for one upload received by this process. */
export function newUploadFolderName(): string {
  return `${OWN}-${randomUUID()}`
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
    const match = UPLOAD_FOLDER.exec(name)
    let stale = false
    if (match) stale = isDeadLocalProcess(match[1])
    else if (LEGACY_FOLDER.test(name))
      stale = Date.now() - (await stat(join(tmpRoot, name)).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs > LEGACY_MAX_AGE_MS
    if (!stale) continue
    await rm(join(tmpRoot, name), { recursive: true, force: true })
    removed.push(name)
  }
  return removed
}
