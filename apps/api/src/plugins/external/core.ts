import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Config } from '@spider-bench/config'
import type { PrismaClient } from '@spider-bench/db'
import type { Storage } from '@spider-bench/storage'

export interface CoreOptions {
  readonly config: Config
  readonly prisma: PrismaClient
  readonly storage: Storage
}

/** Decorates the instance with what the caller of buildApp owns: config, database, storage. */
export default fp<CoreOptions>(
  async function core(app: FastifyInstance, opts: CoreOptions) {
    app.decorate('config', opts.config)
    app.decorate('db', opts.prisma)
    app.decorate('storage', opts.storage)
  },
  { name: 'config' },
)
