import { describe, it, expect, afterAll, vi } from 'vitest'
import { createHash, randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { openDatabase, parsePostgresUrl } from '@spider-bench/db'
import { loadConfig } from '@spider-bench/config'
import { FileStorage } from '@spider-bench/storage'
import { buildApp } from '@spider-bench/api'
import { writeServerInfo } from '../server-info.ts'
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
    await expect(usersCreate.run(['--name', 'dave', '--role', 'root'])).rejects.toThrow(
      '--role must be admin, organiser or participant, got "root"',
    )
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
      await expect(usersCreate.run(['--name', 'other', '--role', 'admin'])).rejects.toThrow(
        /is already open in this process|is in use by process/,
      )
    } finally {
      await held.close()
    }
  })

  it('beside a running server holding the embedded database, goes through its API with an admin token or says exactly how to', async () => {
    delete process.env.DATABASE_URL
    delete process.env.SPIDER_TOKEN
    delete process.env.SPIDER_URL
    const dataDir = await mkdtemp(join(tmpdir(), 'cli-'))
    dirs.push(dataDir)
    process.env.DATA_DIR = dataDir
    const admin = (await capture(() => usersCreate.run(['--name', 'admin', '--role', 'admin']))).out.at(-1) ?? ''
    const participant = (await capture(() => usersCreate.run(['--name', 'pat', '--role', 'participant']))).out.at(-1) ?? ''
    // What `serve` does: hold the database, listen, and say where in DATA_DIR/server.json.
    const held = await openDatabase({ dataDir })
    const app = await buildApp({
      config: loadConfig({ DATA_DIR: dataDir }, { queuePrefix: `test-${randomUUID()}` }),
      prisma: held.prisma,
      storage: new FileStorage(join(dataDir, 'storage')),
    })
    try {
      await app.listen({ port: 0, host: '127.0.0.1' })
      const address = app.server.address()
      const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
      await writeServerInfo(dataDir, url)

      const how = await usersCreate.run(['--name', 'bob', '--role', 'participant']).then(
        () => '',
        (err: Error) => err.message,
      )
      expect(how).toContain(`The server there listens on ${url}; create the user through its API with an admin's token:`)
      expect(how).toContain('spider-bench users create --name bob --role participant --token ADMIN_TOKEN')
      expect(how).toContain(`curl -sS --fail-with-body -X POST ${url}/api/v1/users -H "Authorization: Bearer ADMIN_TOKEN"`)
      expect(how).toContain('No admin yet? Stop the server')

      const created = await capture(() => usersCreate.run(['--name', 'bob', '--role', 'participant', '--token', admin]))
      expect(created.code).toBe(0)
      expect(created.out[0]).toMatch(/^created participant "bob" \(.+\); API token \(shown once\):$/)
      const token = created.out.at(-1) ?? ''
      const row = await held.prisma.apiToken.findFirstOrThrow({ where: { user: { name: 'bob' } } })
      expect(row.tokenHash).toBe(createHash('sha256').update(token).digest('hex'))

      process.env.SPIDER_TOKEN = participant
      await expect(usersCreate.run(['--name', 'eve', '--role', 'admin'])).rejects.toThrow(
        `the server at ${url} refused: this action needs the role admin; you are participant (the token is not an admin's)`,
      )
      await expect(usersCreate.run(['--name', 'bob', '--role', 'participant', '--token', admin])).rejects.toThrow(
        'a user named "bob" already exists',
      )
    } finally {
      delete process.env.SPIDER_TOKEN
      await app.close()
      await held.close()
    }
  })
})
