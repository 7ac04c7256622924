import { describe, it, expect } from 'vitest'
import { loadConfig, ConfigError } from './config.ts'

describe('loadConfig', () => {
  it('applies defaults', () => {
    const c = loadConfig({})
    expect(c.databaseUrl).toBeNull()
    expect(c.redisUrl).toBe('redis://127.0.0.1:6379')
    expect(c.port).toBe(3000)
    expect(c.host).toBe('127.0.0.1')
    expect(c.maxUploadBytes).toBe(4 * 1024 ** 3)
    expect(c.dataDir.endsWith('/data')).toBe(true)
  })

  it('reads values', () => {
    const c = loadConfig({ DATABASE_URL: 'postgresql://u@h:5432/db', PORT: '8080', MAX_UPLOAD_BYTES: '1000', DATA_DIR: '/x/y' })
    expect(c.databaseUrl).toBe('postgresql://u@h:5432/db')
    expect(c.port).toBe(8080)
    expect(c.maxUploadBytes).toBe(1000)
    expect(c.dataDir).toBe('/x/y')
  })

  it('names every bad variable and its value', () => {
    let error: unknown
    try {
      loadConfig({ PORT: 'eighty', MAX_UPLOAD_BYTES: '-5', REDIS_URL: 'http://x', DATABASE_URL: 'mysql://a/b' })
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(ConfigError)
    const message = (error as Error).message
    expect(message).toContain('PORT must be a whole number, got "eighty"')
    expect(message).toContain('MAX_UPLOAD_BYTES must be a whole number, got "-5"')
    expect(message).toContain('REDIS_URL must use redis:// or rediss://, got "http://"')
    expect(message).toContain('DATABASE_URL must use postgresql:// or postgres://, got "mysql://"')
  })

  it('reads TRUST_PROXY as a flag', () => {
    expect(loadConfig({}).trustProxy).toBe(false)
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true)
    expect(loadConfig({ TRUST_PROXY: '0' }).trustProxy).toBe(false)
    expect(() => loadConfig({ TRUST_PROXY: 'yes' })).toThrow('TRUST_PROXY must be 1, true, 0 or false, got "yes"')
  })

  it('rejects out-of-range ports', () => {
    expect(() => loadConfig({ PORT: '70000' })).toThrow('PORT must be between 0 and 65535, got 70000')
  })
})
