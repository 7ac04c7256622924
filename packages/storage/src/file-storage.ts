import { createHash, randomUUID } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises'
import { dirname, join, relative, sep } from 'node:path'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { StorageError, validateKey, type LocalFile, type Storage, type StoredObject } from './storage.ts'

/**
 * Filesystem backend: objects are files under `root`. Writes go to a temporary file in the
 * same directory and are renamed into place, so readers never see a partial object.
 */
export class FileStorage implements Storage {
  constructor(readonly root: string) {}

  private path(key: string): string {
    return join(this.root, ...validateKey(key).split('/'))
  }

  async put(key: string, content: Readable | Uint8Array | string): Promise<StoredObject> {
    const target = this.path(key)
    await mkdir(dirname(target), { recursive: true })
    const temp = `${target}.${randomUUID()}.partial`
    const hash = createHash('sha256')
    let size = 0
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk)
        size += chunk.length
        done(null, chunk)
      },
    })
    const source =
      content instanceof Readable ? content : Readable.from([typeof content === 'string' ? Buffer.from(content) : Buffer.from(content)])
    try {
      await pipeline(source, meter, createWriteStream(temp, { flags: 'wx' }))
      await rename(temp, target)
    } catch (err) {
      await rm(temp, { force: true })
      throw err
    }
    return { key, size, sha256: hash.digest('hex') }
  }

  private async ensure(key: string): Promise<string> {
    const file = this.path(key)
    try {
      const info = await stat(file)
      if (info.isFile()) return file
    } catch {
      // fall through
    }
    throw new StorageError('not_found', `no stored object "${key}"`)
  }

  async get(key: string): Promise<Buffer> {
    return readFile(await this.ensure(key))
  }

  async stream(key: string): Promise<Readable> {
    return createReadStream(await this.ensure(key))
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true })
  }

  async deletePrefix(prefix: string): Promise<void> {
    await rm(this.path(prefix), { recursive: true, force: true })
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.ensure(key)
      return true
    } catch (err) {
      if (err instanceof StorageError && err.code === 'not_found') return false
      throw err
    }
  }

  async list(prefix: string): Promise<string[]> {
    const base = this.path(prefix)
    const out: string[] = []
    const walk = async (dir: string): Promise<void> => {
      let entries
      try {
        entries = await readdir(dir, { withFileTypes: true })
      } catch {
        return
      }
      for (const e of entries) {
        const full = join(dir, e.name)
        if (e.isDirectory()) await walk(full)
        else if (e.isFile() && !e.name.endsWith('.partial')) out.push(relative(this.root, full).split(sep).join('/'))
      }
    }
    await walk(base)
    return out.sort()
  }

  /** The stored file itself (nothing to release). */
  async localFile(key: string): Promise<LocalFile> {
    return { path: await this.ensure(key), release: async () => {} }
  }
}
