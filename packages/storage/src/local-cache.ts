import { randomUUID } from 'node:crypto'
import { chmod, link, mkdir, open, readdir, rename, rm, stat, utimes } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { StorageError, type LocalFile } from './storage.ts'

export interface LocalCacheOptions {
  /** The cache's directory (DATA_DIR/cache): one machine's, shared by the processes that use that DATA_DIR. */
  readonly dir: string
  /** Bound on the cached entries' total size; entries in use stay until released, even above it. */
  readonly maxBytes: number
}

/** Writes the content to `path` and returns its hex SHA-256, computed while writing. */
export type CacheFill = (path: string) => Promise<string>

const SHA256 = /^[0-9a-f]{64}$/
/** A download lock not touched for this long belongs to a process that died (holders touch it every LOCK_BEAT_MS). */
const LOCK_STALE_MS = 30_000
const LOCK_BEAT_MS = 5_000
const LOCK_POLL_MS = 25

const errorCode = (err: unknown) => (err as NodeJS.ErrnoException | null)?.code

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return errorCode(err) === 'EPERM'
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}

/**
 * Content-addressed cache of downloaded objects on local disk, for backends without local files
 * (S3Storage.localFile). Layout under `dir`:
 *
 * - `objects/<sha256>`: verified content, read-only, named by its SHA-256; its mtime is the last use.
 * - `leases/<process>/<uuid>/<name>`: a hard link to an entry for each use in progress. Eviction
 *   skips entries with more than one link, and a hard link keeps its content even when another
 *   process removes the entry, so no file in use ever disappears; release removes the link.
 * - `tmp/<process>/`: downloads in progress (and S3Storage's spooled uploads), renamed into `objects/` once verified (atomic).
 * - `locks/<sha256>.lock`: one download per entry across the processes sharing `dir` (created
 *   exclusively, touched while held, broken when stale); within a process one promise per entry.
 *
 * After each download, least recently used entries not in use are removed until the entries fit
 * `maxBytes`. Leases and temporary files of processes of this host that are no longer running are
 * removed when a cache is first used.
 */
export class LocalCache {
  private readonly owner = `${process.pid}-${randomUUID().slice(0, 8)}@${hostname()}`
  private readonly inflight = new Map<string, Promise<void>>()
  private readying: Promise<void> | null = null

  constructor(readonly options: LocalCacheOptions) {}

  private get objects() {
    return join(this.options.dir, 'objects')
  }

  /** Creates the directories and removes what dead processes of this host left behind (once). */
  private ready(): Promise<void> {
    return (this.readying ??= (async () => {
      for (const sub of ['objects', 'locks']) await mkdir(join(this.options.dir, sub), { recursive: true })
      for (const sub of ['leases', 'tmp']) {
        const parent = join(this.options.dir, sub)
        await mkdir(join(parent, this.owner), { recursive: true })
        for (const name of await readdir(parent)) {
          const m = /^(\d+)-[0-9a-f]+@(.*)$/.exec(name)
          if (m && m[2] === hostname() && !alive(Number(m[1]))) await rm(join(parent, name), { recursive: true, force: true })
        }
      }
    })().catch((err: unknown) => {
      this.readying = null
      throw err
    }))
  }

  /**
   * A local file with the content whose SHA-256 is `sha256`, named `name`: from the cache, or
   * written by `fill` (once, however many callers ask at the same time) and verified first.
   */
  async lease(sha256: string, name: string, fill: CacheFill): Promise<LocalFile> {
    if (!SHA256.test(sha256)) throw new Error(`not a hex SHA-256: "${sha256}"`)
    if (name === '' || name.includes('/') || name === '.' || name === '..') throw new Error(`invalid file name "${name}"`)
    await this.ready()
    const entry = join(this.objects, sha256)
    const dir = join(this.options.dir, 'leases', this.owner, randomUUID())
    const path = join(dir, name)
    await mkdir(dir)
    try {
      // Another process may evict the entry between its download and the link: fetch again.
      for (let attempt = 0; ; attempt++) {
        try {
          await link(entry, path)
          break
        } catch (err) {
          if (errorCode(err) !== 'ENOENT' || attempt === 3) throw err
        }
        await this.fetch(sha256, fill)
      }
    } catch (err) {
      await rm(dir, { recursive: true, force: true })
      throw err
    }
    const now = new Date()
    await utimes(entry, now, now).catch(() => undefined)
    let released = false
    return {
      path,
      release: async () => {
        if (released) return
        released = true
        await rm(dir, { recursive: true, force: true })
      },
    }
  }

  private fetch(sha256: string, fill: CacheFill): Promise<void> {
    let running = this.inflight.get(sha256)
    if (!running) {
      running = this.download(sha256, fill).finally(() => this.inflight.delete(sha256))
      this.inflight.set(sha256, running)
    }
    return running
  }

  private async download(sha256: string, fill: CacheFill): Promise<void> {
    const entry = join(this.objects, sha256)
    const unlock = await this.lock(sha256, entry)
    if (!unlock) return
    try {
      if (await exists(entry)) return
      const temp = await this.tempPath()
      try {
        const actual = await fill(temp)
        if (actual !== sha256) throw new StorageError('corrupt', `downloaded content has SHA-256 ${actual}, expected ${sha256}`)
        await chmod(temp, 0o444)
        await rename(temp, entry)
      } finally {
        await rm(temp, { force: true })
      }
    } finally {
      await unlock()
    }
    await this.evict(sha256)
  }

  /** Takes the download lock of an entry; null when the entry appeared while waiting. */
  private async lock(sha256: string, entry: string): Promise<(() => Promise<void>) | null> {
    const file = join(this.options.dir, 'locks', `${sha256}.lock`)
    for (;;) {
      try {
        const handle = await open(file, 'wx')
        try {
          await handle.writeFile(this.owner)
        } finally {
          await handle.close()
        }
        const beat = setInterval(() => {
          const now = new Date()
          utimes(file, now, now).catch(() => undefined)
        }, LOCK_BEAT_MS)
        beat.unref()
        return async () => {
          clearInterval(beat)
          await rm(file, { force: true })
        }
      } catch (err) {
        if (errorCode(err) !== 'EEXIST') throw err
      }
      if (await exists(entry)) return null
      try {
        if (Date.now() - (await stat(file)).mtimeMs > LOCK_STALE_MS) await rm(file, { force: true })
        else await sleep(LOCK_POLL_MS)
      } catch {
        // released meanwhile: try again
      }
    }
  }

  /** Removes least recently used entries that are not in use until the entries fit maxBytes. */
  private async evict(keep: string): Promise<void> {
    const entries: { name: string; size: number; used: number; links: number }[] = []
    let total = 0
    for (const name of await readdir(this.objects)) {
      try {
        const info = await stat(join(this.objects, name))
        entries.push({ name, size: info.size, used: info.mtimeMs, links: info.nlink })
        total += info.size
      } catch {
        // removed meanwhile
      }
    }
    if (total <= this.options.maxBytes) return
    entries.sort((a, b) => a.used - b.used)
    for (const e of entries) {
      if (total <= this.options.maxBytes) break
      if (e.name === keep || e.links > 1) continue
      await rm(join(this.objects, e.name), { force: true })
      total -= e.size
    }
  }

  /** A fresh path in this process's temporary directory (removed with it should the process die). */
  async tempPath(): Promise<string> {
    await this.ready()
    return join(this.options.dir, 'tmp', this.owner, randomUUID())
  }

  /** Total size of the cached entries (in use or not), bytes. */
  async size(): Promise<number> {
    await this.ready()
    let total = 0
    for (const name of await readdir(this.objects)) total += (await stat(join(this.objects, name)).catch(() => ({ size: 0 }))).size
    return total
  }
}
