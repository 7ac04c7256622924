/**
 * Users and API tokens, for every way of creating them: the REST API, `spider-bench users
 * create`, the demo and the test harnesses.
 */
import type { PrismaClient } from '@spider-bench/db'
import { generateToken, hashToken, tokenPrefix } from './tokens.ts'

export const ROLES = ['admin', 'organiser', 'participant'] as const
export type Role = (typeof ROLES)[number]

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value)
}

const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/
/** The same rule as a JSON Schema pattern (the REST route validates with it). */
export const USER_NAME_PATTERN = USER_NAME.source

/** A user input the caller must fix: an invalid name or role (`invalid`), or a taken name (`exists`). */
export class UserInputError extends Error {
  override name = 'UserInputError'
  constructor(
    readonly kind: 'invalid' | 'exists',
    message: string,
  ) {
    super(message)
  }
}

/** Creates a user and a first API token; returns the clear token (never stored). */
export async function createUser(
  prisma: PrismaClient,
  name: string,
  role: string,
): Promise<{ id: string; name: string; role: Role; token: string; tokenId: string }> {
  if (!USER_NAME.test(name))
    throw new UserInputError('invalid', `invalid user name "${name}": use 1-64 letters, digits, "_", ".", "@" or "-"`)
  if (!isRole(role)) throw new UserInputError('invalid', `invalid role "${role}": expected one of ${ROLES.join(', ')}`)
  const existing = await prisma.user.findUnique({ where: { name } })
  if (existing) throw new UserInputError('exists', `a user named "${name}" already exists`)
  const token = generateToken()
  const user = await prisma.user.create({
    data: { name, role, tokens: { create: { tokenHash: hashToken(token), prefix: tokenPrefix(token) } } },
    include: { tokens: { select: { id: true } } },
  })
  return { id: user.id, name: user.name, role, token, tokenId: user.tokens[0].id }
}

/** Issues an additional token for an existing user. */
export async function createToken(prisma: PrismaClient, userId: string): Promise<string> {
  return (await issueToken(prisma, userId)).token
}

/** Issues an additional token for an existing user: the clear token (shown once) and its row id. */
export async function issueToken(
  prisma: PrismaClient,
  userId: string,
): Promise<{ id: string; token: string; prefix: string; createdAt: Date }> {
  const token = generateToken()
  const row = await prisma.apiToken.create({ data: { userId, tokenHash: hashToken(token), prefix: tokenPrefix(token) } })
  return { id: row.id, token, prefix: row.prefix, createdAt: row.createdAt }
}
