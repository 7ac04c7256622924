export { buildApp, type AppOptions } from './app.ts'
export { ApiError } from './errors.ts'
export type { AuthUser, Role } from './types.ts'
export { requireUser, requireRole } from './plugins/app/auth.ts'
