// What only FileStorage does; the Storage contract (storage-contract.test.ts) runs against it too.
import { describe, it, expect, beforeEach, afterEach } from 'vitest'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { FileStorage } from './file-storage.ts'
import { StorageError, validateKey } from './storage.ts'

let root: string
let storage: FileStorage

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'storage-'))
  storage = new FileStorage(root)
})
afterEach(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('FileStorage', () => {
  it('keeps objects as files under its root and hands out the stored file itself', async () => {
    await storage.put('a/b/c.txt', 'hello')
    const file = await storage.localFile('a/b/c.txt')
    expect(file.path).toBe(join(root, 'a', 'b', 'c.txt'))
    await file.release()
    expect(await storage.exists('a/b/c.txt')).toBe(true)
  })

  it('leaves no partial file when the source stream fails', async () => {
    const failing = new Readable({
      read() {
        this.push(Buffer.alloc(100))
        this.destroy(new Error('upload aborted'))
      },
    })
    await expect(storage.put('x/y.bin', failing)).rejects.toThrow('upload aborted')
    expect(await readdir(join(root, 'x'))).toEqual([])
  })

  it('refuses keys that could escape the root', () => {
    for (const bad of ['', '/abs', '../up', 'a/../b', 'a//b', 'a/./b', 'a\\b', 'a/b/']) {
      expect(() => validateKey(bad), bad).toThrow(StorageError)
    }
    expect(validateKey('testsets/v1/masks/1_t1.mha')).toBe('testsets/v1/masks/1_t1.mha')
  })
})
