import { createHash, randomUUID } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The committed SQL migrations (prisma/migrations at the repository root). */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../prisma/migrations', import.meta.url))

/** The same advisory-lock key Prisma Migrate uses, so our runner and `prisma migrate deploy` exclude each other. */
const MIGRATION_LOCK_KEY = 72707369

/** The minimal SQL surface the runner needs; implemented over node-postgres and PGlite. */
export interface SqlSession {
  query<T extends Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>
  /** Runs a multi-statement script (no parameters). */
  exec(sql: string): Promise<void>
}

export interface Migration {
  readonly name: string
  readonly sql: string
  readonly checksum: string
}

export interface MigrateResult {
  readonly applied: string[]
  readonly alreadyApplied: string[]
  /** Recorded in the database but absent from the migrations folder (a newer code version?). */
  readonly unknown: string[]
}

export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const entries = await readdir(dir, { withFileTypes: true })
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()
  const out: Migration[] = []
  for (const name of names) {
    const sql = await readFile(join(dir, name, 'migration.sql'), 'utf8')
    out.push({ name, sql, checksum: createHash('sha256').update(sql).digest('hex') })
  }
  return out
}

// Prisma Migrate's bookkeeping table, so `prisma migrate deploy/status` agree with this runner.
const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`

/**
 * Applies pending migrations in name order, each in its own transaction, under an advisory
 * lock so two processes never migrate at once. Refuses to continue when an applied
 * migration's file has changed or a previous attempt failed half-way.
 */
export async function applyMigrations(session: SqlSession, migrations?: Migration[]): Promise<MigrateResult> {
  const all = migrations ?? (await loadMigrations())
  await session.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY])
  try {
    await session.exec(CREATE_TABLE)
    const rows = await session.query<{ migration_name: string; checksum: string; finished_at: Date | null; rolled_back_at: Date | null }>(
      'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"',
    )
    const done = new Map<string, { checksum: string }>()
    for (const row of rows) {
      if (row.rolled_back_at) continue
      if (!row.finished_at) {
        throw new Error(
          `migration ${row.migration_name} was started but never finished; ` +
            'inspect the database, then mark it rolled back in "_prisma_migrations"',
        )
      }
      done.set(row.migration_name, row)
    }
    const applied: string[] = []
    const alreadyApplied: string[] = []
    for (const m of all) {
      const prior = done.get(m.name)
      if (prior) {
        if (prior.checksum !== m.checksum) {
          throw new Error(
            `migration ${m.name} was modified after it was applied (checksum in database ${prior.checksum}, on disk ${m.checksum})`,
          )
        }
        alreadyApplied.push(m.name)
        continue
      }
      await session.exec('BEGIN')
      try {
        await session.exec(m.sql)
        await session.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
           VALUES ($1, $2, $3, now(), now(), 1)`,
          [randomUUID(), m.checksum, m.name],
        )
        await session.exec('COMMIT')
      } catch (err) {
        await session.exec('ROLLBACK')
        throw new Error(`migration ${m.name} failed and was rolled back: ${(err as Error).message}`)
      }
      applied.push(m.name)
    }
    const known = new Set(all.map((m) => m.name))
    const unknown = [...done.keys()].filter((n) => !known.has(n)).sort()
    return { applied, alreadyApplied, unknown }
  } finally {
    await session.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY])
  }
}
