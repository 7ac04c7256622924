/**
 * Prisma-style Postgres URLs carry the schema as `?schema=NAME`; node-postgres does not
 * understand that parameter, so it is split off and applied as `search_path` / adapter option.
 */
export interface PostgresTarget {
  /** The URL without the `schema` parameter, for node-postgres. */
  readonly connectionString: string
  /** The schema tables live in (default `public`). */
  readonly schema: string
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/

export function parsePostgresUrl(url: string): PostgresTarget {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new Error(`DATABASE_URL is not a valid URL: "${url}"`)
  }
  if (parsed.protocol !== 'postgresql:' && parsed.protocol !== 'postgres:') {
    throw new Error(`DATABASE_URL must start with postgresql:// (got "${parsed.protocol}//")`)
  }
  const schema = parsed.searchParams.get('schema') ?? 'public'
  if (!SCHEMA_NAME.test(schema)) throw new Error(`DATABASE_URL: invalid schema name "${schema}"`)
  parsed.searchParams.delete('schema')
  return { connectionString: parsed.toString(), schema }
}
