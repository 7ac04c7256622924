import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { PrismaPg } from '@prisma/adapter-pg'
import pg from 'pg'
import { PrismaPGlite } from 'pglite-prisma-adapter'
import { PrismaClient } from './generated/prisma/client.ts'
import { parsePostgresUrl } from './database-url.ts'
import { acquireEmbeddedLock } from './embedded-lock.ts'
import { applyMigrations, type MigrateResult, type SqlSession } from './migrate.ts'

export interface DatabaseOptions {
  /** Postgres URL (`?schema=` honoured); when absent, the embedded PGlite database is used. */
  readonly databaseUrl?: string
  /** DATA_DIR: the embedded database lives in `DATA_DIR/db`. */
  readonly dataDir: string
  /** Apply pending migrations before returning (default true). */
  readonly migrate?: boolean
}

export interface Database {
  readonly prisma: PrismaClient
  readonly kind: 'postgres' | 'pglite'
  /** What `migrate` did, when it ran. */
  readonly migrations: MigrateResult | null
  close(): Promise<void>
}

function pgSession(client: pg.Client): SqlSession {
  return {
    async query(sql, params) {
      return (await client.query(sql, params)).rows
    },
    async exec(sql) {
      await client.query(sql)
    },
  }
}

function pgliteSession(db: PGlite): SqlSession {
  return {
    async query<T>(sql: string, params?: unknown[]) {
      return (await db.query<T>(sql, params)).rows
    },
    async exec(sql) {
      await db.exec(sql)
    },
  }
}

async function openPostgres(url: string, migrate: boolean): Promise<Database> {
  const target = parsePostgresUrl(url)
  let migrations: MigrateResult | null = null
  if (migrate) {
    const client = new pg.Client({ connectionString: target.connectionString })
    await client.connect()
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS "${target.schema}"`)
      await client.query(`SET search_path TO "${target.schema}"`)
      migrations = await applyMigrations(pgSession(client))
    } finally {
      await client.end()
    }
  }
  const adapter = new PrismaPg({ connectionString: target.connectionString }, { schema: target.schema })
  const prisma = new PrismaClient({ adapter })
  return { prisma, kind: 'postgres', migrations, close: () => prisma.$disconnect() }
}

async function openEmbedded(dataDir: string, migrate: boolean): Promise<Database> {
  const release = await acquireEmbeddedLock(dataDir)
  let db: PGlite | null = null
  try {
    db = await PGlite.create(join(dataDir, 'db'))
    const migrations = migrate ? await applyMigrations(pgliteSession(db)) : null
    const prisma = new PrismaClient({ adapter: new PrismaPGlite(db) })
    const pglite = db
    return {
      prisma,
      kind: 'pglite',
      migrations,
      async close() {
        await prisma.$disconnect()
        await pglite.close()
        await release()
      },
    }
  } catch (err) {
    if (db) await db.close().catch(() => undefined)
    await release()
    throw err
  }
}

/** Opens the configured database (Postgres or embedded PGlite), migrating it first by default. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const migrate = options.migrate ?? true
  return options.databaseUrl ? openPostgres(options.databaseUrl, migrate) : openEmbedded(options.dataDir, migrate)
}
