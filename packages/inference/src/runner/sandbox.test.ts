import { chmod, mkdir, mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { protectDataDir } from './sandbox.ts'

describe('protectDataDir', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spider-datadir-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('makes DATA_DIR private (0700) when the server runs as root, creating it; leaves it alone otherwise', async () => {
    const existing = join(dir, 'data')
    const created = join(dir, 'new', 'data')
    await rm(existing, { recursive: true, force: true })
    await mkdir(existing)
    await chmod(existing, 0o755)
    const root = process.getuid?.() === 0
    expect(await protectDataDir(existing)).toBe(root)
    expect((await stat(existing)).mode & 0o777).toBe(root ? 0o700 : 0o755)
    expect(await protectDataDir(created)).toBe(root)
    if (root) expect((await stat(created)).mode & 0o777).toBe(0o700)
  })
})
