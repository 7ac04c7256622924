import { describe, it, expect } from 'vitest'
import { redactUrl } from './redact-url.ts'

describe('redactUrl', () => {
  it('keeps the path, never the query', () => {
    expect(redactUrl('/admin/queues?token=sbk_secret')).toBe('/admin/queues?[redacted]')
    expect(redactUrl('/a?sbk_secret&x=1')).toBe('/a?[redacted]')
    expect(redactUrl('/healthz')).toBe('/healthz')
    expect(redactUrl(undefined)).toBeUndefined()
  })
})
