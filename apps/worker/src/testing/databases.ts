import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { openDatabase, parsePostgresUrl, type Database } from '@spider-bench/db'
import { FileStorage } from '@spider-bench/storage'

export type Backend = 'postgres' | 'pglite'

export interface TestEnv {
  readonly db: Database
  readonly storage: FileStorage
  readonly dir: string
  /** DATABASE_URL of the private schema (postgres only). */
  readonly databaseUrl: string | null
  readonly queuePrefix: string
  close(): Promise<void>
}

/** A private Postgres schema (dropped on close) or a PGlite database, plus temp storage. */
export async function openTestEnv(backend: Backend): Promise<TestEnv> {
  const dir = await mkdtemp(join(tmpdir(), 'spider-worker-'))
  const base = process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/test'
  const schema = `test_${randomUUID().replace(/-/g, '')}`
  const databaseUrl = backend === 'postgres' ? `${base}${base.includes('?') ? '&' : '?'}schema=${schema}` : null
  const db = await openDatabase({ databaseUrl: databaseUrl ?? undefined, dataDir: dir })
  return {
    db,
    storage: new FileStorage(join(dir, 'storage')),
    dir,
    databaseUrl,
    queuePrefix: `test-${randomUUID()}`,
    async close() {
      await db.close()
      if (databaseUrl) {
        const client = new pg.Client({ connectionString: parsePostgresUrl(databaseUrl).connectionString })
        await client.connect()
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
        await client.end()
      }
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** Deletes every Redis key of the test's queues (never the shared Redis as a whole). */
export async function deleteQueueKeys(redisUrl: string, prefix: string): Promise<number> {
  const { Redis } = await import('ioredis')
  const redis = new Redis(redisUrl)
  try {
    let deleted = 0
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `bull:${prefix}-*`, 'COUNT', 500)
      cursor = next
      if (keys.length) deleted += await redis.del(...keys)
    } while (cursor !== '0')
    return deleted
  } finally {
    redis.disconnect()
  }
}
