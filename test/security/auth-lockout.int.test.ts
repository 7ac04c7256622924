/**
 * Finding 5: the failed-authentication limit. Before: after 10 bad tokens from an address even
 * the admin's valid token got 429 (anyone could lock an admin out), and with TRUST_PROXY=true
 * the leftmost X-Forwarded-For entry was the client address (rotate it to escape the limit,
 * write a victim's address to lock the victim out). Now only failures count and only failures
 * are refused, and TRUST_PROXY is a hop count or a list of proxies, never "trust everything".
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { ConfigError, loadConfig } from '@spider-bench/config'
import { startHarness, type Harness } from '../../apps/api/src/testing/harness.ts'

const BAD = `sbk_${'x'.repeat(43)}`
/** The address the (simulated) proxy in front of the API appends for the attacker's connection. */
const ATTACKER = '203.0.113.7'
const VICTIM = '198.51.100.9'

function get(h: Harness, path: string, token: string | null, forwardedFor?: string) {
  return fetch(`${h.url}${path}`, {
    headers: {
      ...(token !== null ? { authorization: `Bearer ${token}` } : {}),
      ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}),
    },
  })
}

describe('failed-authentication limit: only failures are refused (finding 5)', () => {
  let h: Harness
  let admin: string
  let participant: string
  beforeAll(async () => {
    h = await startHarness('postgres', { authFailureLimit: 10 })
    admin = (await h.user('lock-admin', 'admin')).token
    participant = (await h.user('lock-participant', 'participant')).token
  })
  afterAll(async () => {
    await h?.close()
  })

  it('after 10 bad tokens the bad ones get 429, while valid tokens from the same address still work', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 10; i++) statuses.push((await get(h, '/api/v1/challenges', BAD)).status)
    expect(statuses).toEqual(Array(10).fill(401))
    const blocked = await get(h, '/api/v1/challenges', BAD)
    expect(blocked.status).toBe(429)
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(((await blocked.json()) as { error: { code: string } }).error.code).toBe('too_many_requests')
    // The admin's token from the same address: accepted (an admin-only route answers 200).
    expect((await get(h, '/metrics', admin)).status).toBe(200)
    // A participant's token too (authenticated, so 403 on the admin route, not 401 or 429).
    expect((await get(h, '/metrics', participant)).status).toBe(403)
    // Successes do not reset the count: a guess right after a valid request is still refused,
    // and so are malformed credentials.
    expect((await get(h, '/api/v1/challenges', BAD)).status).toBe(429)
    expect((await fetch(`${h.url}/api/v1/challenges`, { headers: { authorization: 'Basic abc' } })).status).toBe(429)
    // The same holds for the dashboard login form.
    const login = await fetch(`${h.url}/admin/queues/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: admin }),
    })
    expect(login.status).toBe(303)
  })

  it('refuses TRUST_PROXY=true ("trust every hop") with a clear configuration error', () => {
    expect(() => loadConfig({ TRUST_PROXY: 'true' })).toThrow(ConfigError)
    expect(() => loadConfig({ TRUST_PROXY: 'true' })).toThrow(
      'give the number of proxies in front of the API (e.g. TRUST_PROXY=1) or their addresses',
    )
  })
})

describe('TRUST_PROXY=1 (one proxy in front): X-Forwarded-For cannot choose the client address (finding 5)', () => {
  let h: Harness
  let admin: string
  beforeAll(async () => {
    // The test client stands in for the proxy: it sends what a proxy would forward, i.e. the
    // client's own X-Forwarded-For with the client's real address appended on the right.
    h = await startHarness('postgres', { authFailureLimit: 10, trustProxy: loadConfig({ TRUST_PROXY: '1' }).trustProxy })
    admin = (await h.user('proxy-admin', 'admin')).token
  })
  afterAll(async () => {
    await h?.close()
  })

  it('rotating the leftmost X-Forwarded-For entry does not escape the limit', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 12; i++) statuses.push((await get(h, '/api/v1/challenges', BAD, `10.${i}.0.1, ${ATTACKER}`)).status)
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401))
    expect(statuses.slice(10)).toEqual([429, 429])
  })

  it('writing a victim address on the left does not lock the victim out', async () => {
    // A second attacker (another real address) blocks itself, not the victim it names.
    const spoofer = '203.0.113.8'
    const statuses: number[] = []
    for (let i = 0; i < 11; i++) statuses.push((await get(h, '/api/v1/challenges', BAD, `${VICTIM}, ${spoofer}`)).status)
    expect(statuses.at(-1)).toBe(429)
    // The victim, through the proxy: a mistyped token is a plain 401, the right one works.
    expect((await get(h, '/api/v1/challenges', BAD, VICTIM)).status).toBe(401)
    expect((await get(h, '/metrics', admin, VICTIM)).status).toBe(200)
  })

  it('counts IPv6 clients per /64, so fresh addresses from one network do not buy guesses', async () => {
    const statuses: number[] = []
    for (let i = 1; i <= 11; i++) statuses.push((await get(h, '/api/v1/challenges', BAD, `2001:db8:5:6::${i.toString(16)}`)).status)
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401))
    expect(statuses[10]).toBe(429)
    expect((await get(h, '/api/v1/challenges', BAD, '2001:db8:5:7::1')).status).toBe(401)
  })
})
