import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { ValidationGate } from '../../lib/validation-gate.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** Model validations running in this API process, at most MAX_CONCURRENT_MODEL_VALIDATIONS (429 beyond). */
    modelValidations: ValidationGate
  }
}

export default fp(
  async function modelValidations(app: FastifyInstance) {
    app.decorate('modelValidations', new ValidationGate(app.config.maxConcurrentModelValidations))
  },
  { name: 'model-validations', dependencies: ['config'] },
)
