import fp from 'fastify-plugin'
import multipart from '@fastify/multipart'
import type { FastifyInstance } from 'fastify'

/**
 * Multipart uploads are consumed as streams by the routes (never buffered whole); the
 * per-file size limit is MAX_UPLOAD_BYTES, checked while streaming.
 */
export default fp(
  async function multipartPlugin(app: FastifyInstance) {
    await app.register(multipart, {
      limits: { fileSize: app.config.maxUploadBytes, files: 4, fields: 16, fieldSize: 1024 * 1024, parts: 24 },
    })
  },
  { name: 'multipart', dependencies: ['config'] },
)
