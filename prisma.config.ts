// Prisma 7 configuration. The datasource URL is only needed by Prisma's own CLI
// (`prisma migrate deploy` where its engine is available); the application connects through
// driver adapters (see packages/db) and applies migrations with its own offline runner.
import { defineConfig } from 'prisma/config'

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost:5432/spider' },
})
