import { describe, it, expect, afterAll, vi } from 'vitest'
import { createHash, randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { openDatabase, parsePostgresUrl } from '@spider-bench/db'
import { command as usersCreate } from './users-create.ts'
import { command as dbMigrate } from './db-migrate.ts'

const BASE = process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/test'

async function capture(fn: () => Promise<number>): Promise<{ code: number; out: string[] }> {
  const out: string[] = []
  const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void out.push(String(line)))
  try {
    return { code: await fn(), out }
  } finally {
    log.mockRestore()
  }
}

describe('db migrate and users create', () => {
  const schema = `test_${randomUUID().replace(/-/g, '')}`
  const saved = { DATABASE_URL: process.env.DATABASE_URL, DATA_DIR: process.env.DATA_DIR }
  const dirs: string[] = []
  afterAll(async () => {
    process.env.DATABASE_URL = saved.DATABASE_URL
    process.env.DATA_DIR = saved.DATA_DIR
    if (saved.DATABASE_URL === undefined) delete process.env.DATABASE_URL
    if (saved.DATA_DIR === undefined) delete process.env.DATA_DIR
    const client = new pg.Client({ connectionString: parsePostgresUrl(BASE).connectionString })
    await client.connect()
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    await client.end()
    for (const d of dirs) await rm(d, { recursive: true, force: true })
  })

  it('migrates Postgres, then creates users whose token (last line) is stored hashed', async () => {
    process.env.DATABASE_URL = `${BASE}?schema=${schema}`
    const first = await capture(() => dbMigrate.run([]))
    expect(first.code).toBe(0)
    expect(first.out[0]).toMatch(/^applied \d{14}_init$/)
    const second = await capture(() => dbMigrate.run([]))
    expect(second.out).toEqual([expect.stringMatching(/^DATABASE_URL: up to date \(\d+ migrations applied earlier\)$/)])
    const created = await capture(() => usersCreate.run(['--name', 'carol', '--role', 'organiser']))
    expect(created.code).toBe(0)
    const token = created.out[created.out.length - 1]
    expect(token).toMatch(/^sbk_[A-Za-z0-9_-]{43}$/)
    const db = await openDatabase({ databaseUrl: process.env.DATABASE_URL, dataDir: '/nonexistent', migrate: false })
    try {
      const row = await db.prisma.apiToken.findFirstOrThrow({ include: { user: true } })
      expect(row.user).toMatchObject({ name: 'carol', role: 'organiser' })
      expect(row.tokenHash).toBe(createHash('sha256').update(token).digest('hex'))
      expect(row.tokenHash).not.toContain(token)
    } finally {
      await db.close()
    }
    await expect(usersCreate.run(['--name', 'carol', '--role', 'admin'])).rejects.toThrow('a user named "carol" already exists')
    await expect(usersCreate.run(['--name', 'dave', '--role', 'root'])).rejects.toThrow('--role must be admin, organiser or participant, got "root"')
    await expect(usersCreate.run(['--role', 'admin'])).rejects.toThrow('--name is required')
  })

  it('uses the embedded database when DATABASE_URL is unset, and refuses while another process holds it', async () => {
    delete process.env.DATABASE_URL
    const dataDir = await mkdtemp(join(tmpdir(), 'cli-'))
    dirs.push(dataDir)
    process.env.DATA_DIR = dataDir
    const created = await capture(() => usersCreate.run(['--name', 'admin', '--role', 'admin']))
    expect(created.code).toBe(0)
    expect(created.out[created.out.length - 1]).toMatch(/^sbk_/)
    const held = await openDatabase({ dataDir })
    try {
      await expect(usersCreate.run(['--name', 'other', '--role', 'admin'])).rejects.toThrow(/is already open in this process|is in use by process/)
    } finally {
      await held.close()
    }
  })
})
