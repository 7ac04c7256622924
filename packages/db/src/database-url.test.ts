import { describe, it, expect } from 'vitest'
import { parsePostgresUrl } from './database-url.ts'

describe('parsePostgresUrl', () => {
  it('splits off the Prisma schema parameter', () => {
    expect(parsePostgresUrl('postgresql://u:p@h:5432/db?schema=s1&sslmode=disable')).toEqual({
      connectionString: 'postgresql://u:p@h:5432/db?sslmode=disable',
      schema: 's1',
    })
    expect(parsePostgresUrl('postgres://h/db').schema).toBe('public')
  })
  it('refuses other protocols, bad URLs and unsafe schema names', () => {
    expect(() => parsePostgresUrl('mysql://h/db')).toThrow('DATABASE_URL must start with postgresql:// (got "mysql://")')
    expect(() => parsePostgresUrl('not a url')).toThrow('DATABASE_URL is not a valid URL: "not a url"')
    expect(() => parsePostgresUrl('postgresql://h/db?schema=a";drop')).toThrow('DATABASE_URL: invalid schema name "a";drop"')
  })
})
