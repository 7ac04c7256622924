import { Type, type Static } from '@sinclair/typebox'
import { ROLES, USER_NAME_PATTERN, type Role } from '@spider-bench/evaluation'

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()])

export const RoleSchema = Type.Unsafe<Role>(Type.String({ enum: [...ROLES], description: 'admin, organiser or participant' }))

export const UserSchema = Type.Object({ id: Type.String(), name: Type.String(), role: Type.String() })

export const CreateUserSchema = Type.Object(
  { name: Type.String({ pattern: USER_NAME_PATTERN, description: '1-64 letters, digits, "_", ".", "@" or "-"' }), role: RoleSchema },
  { additionalProperties: false },
)
export type CreateUser = Static<typeof CreateUserSchema>

/** A new API token: shown once, here; the server keeps only its hash. */
export const IssuedTokenSchema = Type.Object({
  user: UserSchema,
  token: Type.String({ description: 'the clear API token (send as "Authorization: Bearer <token>"); shown only once' }),
  tokenId: Type.String({ description: "the token's id, for DELETE /api/v1/tokens/:id" }),
})

export const TokenInfoSchema = Type.Object({
  id: Type.String(),
  /** The first characters of the token, to recognise it. */
  prefix: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Nullable(Type.String({ format: 'date-time' })),
  revokedAt: Nullable(Type.String({ format: 'date-time' })),
})

export const UserWithTokensSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  tokens: Type.Array(TokenInfoSchema),
})

export const RevokedTokenSchema = Type.Object({ ...TokenInfoSchema.properties, user: UserSchema })

export const MeSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
})

export const UserIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) })
