import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startHarness, type Harness } from '../../../testing/harness.ts'
import { apiClient } from '../../../testing/client.ts'

interface Issued {
  user: { id: string; name: string; role: string }
  token: string
  tokenId: string
}

describe('users and API tokens over REST (postgres)', () => {
  let h: Harness
  let api: ReturnType<typeof apiClient>
  let admin = ''
  beforeAll(async () => {
    h = await startHarness('postgres')
    api = apiClient(h.url, h.dataDir)
    admin = (await h.user('root', 'admin')).token
  })
  afterAll(async () => {
    await h?.close()
  })

  it('creates a participant whose token (shown once, stored hashed) signs in as them', async () => {
    const res = await api.json(admin, 'POST', '/api/v1/users', { name: 'alice', role: 'participant' })
    expect(res.status).toBe(201)
    const created = (await res.json()) as Issued
    expect(created.user).toEqual({ id: expect.any(String), name: 'alice', role: 'participant' })
    expect(created.token).toMatch(/^sbk_[A-Za-z0-9_-]{43}$/)
    const row = await h.db.prisma.apiToken.findUniqueOrThrow({ where: { id: created.tokenId } })
    expect(row.tokenHash).toBe(createHash('sha256').update(created.token).digest('hex'))
    const me = await api.json(created.token, 'GET', '/api/v1/me')
    expect(me.status).toBe(200)
    expect(await me.json()).toEqual({ id: created.user.id, name: 'alice', role: 'participant', createdAt: expect.any(String) })
    // Listed with its tokens' prefixes and dates, never a token.
    const list = await api.json(admin, 'GET', '/api/v1/users')
    const text = await list.text()
    expect(text).not.toContain(created.token)
    const users = JSON.parse(text) as Array<{
      name: string
      tokens: Array<{ id: string; prefix: string; lastUsedAt: string | null; revokedAt: string | null }>
    }>
    const alice = users.find((u) => u.name === 'alice')
    expect(alice?.tokens).toEqual([expect.objectContaining({ id: created.tokenId, prefix: created.token.slice(0, 10), revokedAt: null })])
  })

  it('refuses a taken name (409), a bad name or role (400, naming the field), and anyone but an admin', async () => {
    const taken = await api.json(admin, 'POST', '/api/v1/users', { name: 'root', role: 'participant' })
    expect(taken.status).toBe(409)
    expect(((await taken.json()) as { error: { message: string } }).error.message).toBe('a user named "root" already exists')
    const role = await api.json(admin, 'POST', '/api/v1/users', { name: 'bob', role: 'root' })
    expect(role.status).toBe(400)
    expect(((await role.json()) as { error: { message: string } }).error.message).toBe(
      'invalid request: body.role must be one of "admin", "organiser", "participant"',
    )
    const name = await api.json(admin, 'POST', '/api/v1/users', { name: '../bob', role: 'participant' })
    expect(name.status).toBe(400)
    expect(((await name.json()) as { error: { message: string } }).error.message).toMatch(
      /^invalid request: body\.name must match pattern /,
    )
    const organiser = (await h.user('org', 'organiser')).token
    expect((await api.json(organiser, 'POST', '/api/v1/users', { name: 'mallory', role: 'admin' })).status).toBe(403)
    expect(await h.db.prisma.user.count({ where: { name: { in: ['bob', 'mallory'] } } })).toBe(0)
  })

  it('issues another token and revokes one at once; the others keep working', async () => {
    const first = (await (await api.json(admin, 'POST', '/api/v1/users', { name: 'carol', role: 'participant' })).json()) as Issued
    const res = await api.json(admin, 'POST', `/api/v1/users/${first.user.id}/tokens`)
    expect(res.status).toBe(201)
    const second = (await res.json()) as Issued
    expect(second.user).toEqual(first.user)
    expect(second.token).not.toBe(first.token)
    expect((await api.json(second.token, 'GET', '/api/v1/me')).status).toBe(200)

    const revoked = await api.json(admin, 'DELETE', `/api/v1/tokens/${second.tokenId}`)
    expect(revoked.status).toBe(200)
    const body = (await revoked.json()) as { id: string; revokedAt: string; user: { name: string } }
    expect(body).toMatchObject({ id: second.tokenId, user: { name: 'carol' } })
    expect((await api.json(second.token, 'GET', '/api/v1/me')).status).toBe(401)
    expect((await api.json(first.token, 'GET', '/api/v1/me')).status).toBe(200)
    // Idempotent: the first revocation time stays.
    const again = (await (await api.json(admin, 'DELETE', `/api/v1/tokens/${second.tokenId}`)).json()) as { revokedAt: string }
    expect(again.revokedAt).toBe(body.revokedAt)
    expect((await api.json(admin, 'DELETE', '/api/v1/tokens/nope')).status).toBe(404)
    expect((await api.json(admin, 'POST', '/api/v1/users/nope/tokens')).status).toBe(404)
    expect((await api.json(undefined, 'GET', '/api/v1/me')).status).toBe(401)
  })
})
