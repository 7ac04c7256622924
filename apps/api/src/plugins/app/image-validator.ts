import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { ImageValidator } from '../../lib/image-validator.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** Decodes and checks uploaded images in worker threads, off the event loop (image-validator.ts). */
    imageValidator: ImageValidator
  }
}

/** The image-validation thread pool, sized by IMAGE_VALIDATION_THREADS, stopped with the app. */
export default fp(
  async function imageValidator(app: FastifyInstance) {
    const validator = new ImageValidator({ threads: app.config.imageValidationThreads, heapMb: app.config.imageValidationHeapMb })
    app.decorate('imageValidator', validator)
    app.addHook('onClose', async () => validator.close())
  },
  { name: 'image-validator', dependencies: ['config'] },
)
