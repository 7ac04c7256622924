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

  it('reads TRUST_PROXY as a hop count or a list of proxy addresses, never "trust everything"', () => {
    expect(loadConfig({}).trustProxy).toBe(false)
    expect(loadConfig({ TRUST_PROXY: '0' }).trustProxy).toBe(false)
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false)
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1)
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2)
    expect(loadConfig({ TRUST_PROXY: '10.0.0.5, 172.16.0.0/12,::1,fd00::/8,loopback' }).trustProxy).toEqual([
      '10.0.0.5',
      '172.16.0.0/12',
      '::1',
      'fd00::/8',
      'loopback',
    ])
    expect(() => loadConfig({ TRUST_PROXY: 'true' })).toThrow('TRUST_PROXY=true would trust every X-Forwarded-For entry')
    expect(() => loadConfig({ TRUST_PROXY: 'yes' })).toThrow(
      'TRUST_PROXY must be a hop count or a comma-separated list of IP addresses or CIDR ranges, got "yes"',
    )
    expect(() => loadConfig({ TRUST_PROXY: '10.0.0.0/33,1.2.3.4' })).toThrow('got "10.0.0.0/33"')
    expect(() => loadConfig({ TRUST_PROXY: '99' })).toThrow('TRUST_PROXY as a hop count must be between 0 and 16, got 99')
  })

  it('reads METRICS_TOKEN, SESSION_SECRET, DASHBOARD_SESSION_SECONDS and MIN_AGGREGATE_SERIES', () => {
    const d = loadConfig({})
    expect([d.metricsToken, d.sessionSecret, d.dashboardSessionSeconds, d.minAggregateSeries]).toEqual([null, null, 3600, 5])
    const c = loadConfig({
      METRICS_TOKEN: 'm'.repeat(16),
      SESSION_SECRET: 's'.repeat(32),
      DASHBOARD_SESSION_SECONDS: '600',
      MIN_AGGREGATE_SERIES: '10',
    })
    expect([c.metricsToken, c.sessionSecret, c.dashboardSessionSeconds, c.minAggregateSeries]).toEqual([
      'm'.repeat(16),
      's'.repeat(32),
      600,
      10,
    ])
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow('METRICS_TOKEN must be at least 16 characters long (got 5)')
    expect(() => loadConfig({ SESSION_SECRET: 'x'.repeat(31) })).toThrow('SESSION_SECRET must be at least 32 characters long (got 31)')
    expect(() => loadConfig({ MIN_AGGREGATE_SERIES: '0' })).toThrow('MIN_AGGREGATE_SERIES must be between 1 and')
  })

  it('reads MAX_CONCURRENT_MODEL_VALIDATIONS (default 2, at least 1)', () => {
    expect(loadConfig({}).maxConcurrentModelValidations).toBe(2)
    expect(loadConfig({ MAX_CONCURRENT_MODEL_VALIDATIONS: '5' }).maxConcurrentModelValidations).toBe(5)
    expect(() => loadConfig({ MAX_CONCURRENT_MODEL_VALIDATIONS: '0' })).toThrow('MAX_CONCURRENT_MODEL_VALIDATIONS must be between 1 and')
  })

  it('rejects out-of-range ports', () => {
    expect(() => loadConfig({ PORT: '70000' })).toThrow('PORT must be between 0 and 65535, got 70000')
  })
})
