import type { PrismaClient } from '@spider-bench/db'
import { generateToken, hashToken, tokenPrefix } from '../lib/tokens.ts'
import { ROLES, type Role } from '../types.ts'

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value)
}

const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/

/** Creates a user and a first API token; returns the clear token (never stored). */
export async function createUser(prisma: PrismaClient, name: string, role: string): Promise<{ id: string; name: string; role: Role; token: string }> {
  if (!USER_NAME.test(name)) throw new Error(`invalid user name "${name}": use 1-64 letters, digits, "_", ".", "@" or "-"`)
  if (!isRole(role)) throw new Error(`invalid role "${role}": expected one of ${ROLES.join(', ')}`)
  const existing = await prisma.user.findUnique({ where: { name } })
  if (existing) throw new Error(`a user named "${name}" already exists`)
  const token = generateToken()
  const user = await prisma.user.create({
    data: { name, role, tokens: { create: { tokenHash: hashToken(token), prefix: tokenPrefix(token) } } },
  })
  return { id: user.id, name: user.name, role, token }
}

/** Issues an additional token for an existing user. */
export async function createToken(prisma: PrismaClient, userId: string): Promise<string> {
  const token = generateToken()
  await prisma.apiToken.create({ data: { userId, tokenHash: hashToken(token), prefix: tokenPrefix(token) } })
  return token
}
