import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { loadConfig, type Config } from '@spider-bench/config'
import { openDatabase, parsePostgresUrl, type Database } from '@spider-bench/db'
import { FileStorage, type Storage } from '@spider-bench/storage'
import { buildApp } from '../app.ts'
import { createUser } from '@spider-bench/evaluation'
import type { Role } from '../types.ts'

export type Backend = 'postgres' | 'pglite'

export const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/test'

export interface Harness {
  readonly app: FastifyInstance
  readonly db: Database
  readonly config: Config
  readonly storage: Storage
  /** http://127.0.0.1:<port> of the listening app. */
  readonly url: string
  readonly dataDir: string
  user(name: string, role: Role): Promise<{ id: string; token: string }>
  close(): Promise<void>
}

/**
 * A real server for integration tests: a private Postgres schema (dropped on close) or a
 * PGlite database in a temp dir, a temp DATA_DIR, a private queue prefix on the real Redis,
 * and the app listening on an ephemeral port. `options.logger`: a pino logger for the app (tests
 * that read the server's log lines); without one the app does not log. `options.webDistDir`:
 * the built web pages to serve (default apps/web/dist). `options.storage`: the app's storage in
 * this DATA_DIR (default a FileStorage in DATA_DIR/storage).
 */
export async function startHarness(
  backend: Backend,
  overrides: Partial<Config> = {},
  options: { readonly logger?: FastifyBaseLogger; readonly webDistDir?: string; readonly storage?: (dataDir: string) => Storage } = {},
): Promise<Harness> {
  const dataDir = await mkdtemp(join(tmpdir(), 'spider-api-'))
  const schema = `test_${randomUUID().replace(/-/g, '')}`
  const base = process.env.DATABASE_URL || DEFAULT_DATABASE_URL
  const databaseUrl = backend === 'postgres' ? `${base}${base.includes('?') ? '&' : '?'}schema=${schema}` : null
  const config = loadConfig(
    { ...process.env, DATABASE_URL: '' },
    { databaseUrl, dataDir, queuePrefix: `test-${randomUUID()}`, ...overrides },
  )
  const db = await openDatabase({ databaseUrl: databaseUrl ?? undefined, dataDir })
  const storage = options.storage?.(dataDir) ?? new FileStorage(join(dataDir, 'storage'))
  const app = await buildApp({
    config,
    prisma: db.prisma,
    storage,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.webDistDir !== undefined ? { webDistDir: options.webDistDir } : {}),
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (!address || typeof address === 'string') throw new Error('server has no TCP address')
  return {
    app,
    db,
    config,
    storage,
    dataDir,
    url: `http://127.0.0.1:${address.port}`,
    async user(name, role) {
      const u = await createUser(db.prisma, name, role)
      return { id: u.id, token: u.token }
    },
    async close() {
      // obliterate waits for a connection; skip it when Redis is (deliberately) unreachable.
      if (app.redis.status === 'ready') {
        for (const queue of [app.evaluationQueue, app.leaderboardQueue]) await queue.obliterate({ force: true }).catch(() => undefined)
      }
      await app.close()
      await db.close()
      if (databaseUrl) {
        const client = new pg.Client({ connectionString: parsePostgresUrl(databaseUrl).connectionString })
        await client.connect()
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
        await client.end()
      }
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}
