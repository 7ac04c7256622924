import { describe, it, expect, afterEach } from 'vitest'
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import pg from 'pg'
import { applyMigrations, loadMigrations, type Migration, type SqlSession } from './migrate.ts'
import { openDatabase } from './open-database.ts'
import { DatabaseLockedError, embeddedLockPath } from './embedded-lock.ts'
import { parsePostgresUrl } from './database-url.ts'

const BASE_URL = process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/test'
const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.()
})

async function pgSchemaSession(): Promise<{ session: SqlSession; client: pg.Client; schema: string }> {
  const schema = `test_${randomUUID().replace(/-/g, '')}`
  const client = new pg.Client({ connectionString: parsePostgresUrl(BASE_URL).connectionString })
  await client.connect()
  await client.query(`CREATE SCHEMA "${schema}"`)
  await client.query(`SET search_path TO "${schema}"`)
  cleanups.push(async () => {
    await client.query(`DROP SCHEMA "${schema}" CASCADE`)
    await client.end()
  })
  return {
    client,
    schema,
    session: {
      query: async (sql, params) => (await client.query(sql, params)).rows,
      exec: async (sql) => void (await client.query(sql)),
    },
  }
}

const m = (name: string, sql: string): Migration => ({ name, sql, checksum: `sum-${sql.length}-${name}` })

describe('applyMigrations (Postgres)', () => {
  it('applies the committed migrations once and records them like Prisma Migrate', async () => {
    const { session, client } = await pgSchemaSession()
    const first = await applyMigrations(session)
    const all = await loadMigrations()
    expect(first.applied).toEqual(all.map((x) => x.name))
    const second = await applyMigrations(session)
    expect(second).toEqual({ applied: [], alreadyApplied: all.map((x) => x.name), unknown: [] })
    const rows = (await client.query('SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations"')).rows
    expect(rows).toHaveLength(all.length)
    expect(rows[0].checksum).toBe(all[0].checksum)
    expect(rows[0].finished_at).toBeInstanceOf(Date)
    const tables = (
      await client.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1`)
    ).rows.map((r) => r.table_name)
    expect(tables).toEqual([
      'ApiToken',
      'Challenge',
      'DirectUpload',
      'Evaluation',
      'LeaderboardSnapshot',
      'Phase',
      'SeriesResult',
      'Submission',
      'TestSeries',
      'TestSetVersion',
      'User',
      '_prisma_migrations',
    ])
  })

  it('rolls a failing migration back entirely and names it', async () => {
    const { session, client } = await pgSchemaSession()
    const bad = [m('001_ok', 'CREATE TABLE a (x int);'), m('002_bad', 'CREATE TABLE b (x int); SELECT nope_function();')]
    await expect(applyMigrations(session, bad)).rejects.toThrow(/^migration 002_bad failed and was rolled back: /)
    const tables = (
      await client.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1`)
    ).rows.map((r) => r.table_name)
    expect(tables).toEqual(['_prisma_migrations', 'a'])
  })

  it('refuses a migration changed after it was applied', async () => {
    const { session } = await pgSchemaSession()
    await applyMigrations(session, [m('001', 'CREATE TABLE a (x int);')])
    await expect(applyMigrations(session, [{ name: '001', sql: 'CREATE TABLE a (y int);', checksum: 'other' }])).rejects.toThrow(
      /^migration 001 was modified after it was applied \(checksum in database sum-/,
    )
  })

  it('lets two concurrent runners apply each migration exactly once', async () => {
    const { schema } = await pgSchemaSession()
    const url = `${BASE_URL}?schema=${schema}`
    const [a, b] = await Promise.all([
      openDatabase({ databaseUrl: url, dataDir: '/nonexistent' }),
      openDatabase({ databaseUrl: url, dataDir: '/nonexistent' }),
    ])
    cleanups.push(async () => {
      await a.close()
      await b.close()
    })
    expect([...(a.migrations?.applied ?? []), ...(b.migrations?.applied ?? [])].sort()).toEqual((await loadMigrations()).map((x) => x.name))
    await a.prisma.user.create({ data: { name: 'u', role: 'admin' } })
    expect(await b.prisma.user.count()).toBe(1)
  })
})

describe('embedded database (PGlite)', () => {
  it('migrates, persists across reopen, and refuses a second opener while open', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'pglite-'))
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }))
    const db = await openDatabase({ dataDir })
    expect(db.kind).toBe('pglite')
    await db.prisma.user.create({ data: { name: 'u', role: 'admin' } })
    await expect(openDatabase({ dataDir })).rejects.toBeInstanceOf(DatabaseLockedError)
    await db.close()
    const again = await openDatabase({ dataDir })
    expect(again.migrations?.applied).toEqual([])
    expect(await again.prisma.user.count()).toBe(1)
    await again.close()
  })

  it('reclaims a stale lock left by a dead process and names a live holder', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'pglite-'))
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }))
    await writeFile(embeddedLockPath(dataDir), JSON.stringify({ pid: 2 ** 22 + 12345 }))
    const db = await openDatabase({ dataDir })
    await db.close()
    await writeFile(embeddedLockPath(dataDir), JSON.stringify({ pid: process.ppid }))
    await expect(openDatabase({ dataDir })).rejects.toThrow(`is in use by process ${process.ppid}`)
  })

  it('runs the same migrations on PGlite', async () => {
    const db = new PGlite()
    cleanups.push(() => db.close())
    const session: SqlSession = {
      query: async (sql, params) => (await db.query<Record<string, unknown>>(sql, params)).rows as never,
      exec: async (sql) => void (await db.exec(sql)),
    }
    const result = await applyMigrations(session)
    expect(result.applied.length).toBeGreaterThan(0)
    expect((await applyMigrations(session)).applied).toEqual([])
  })
})
