import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
// The schema module alone: serving it must not load onnxruntime into the API process.
import { AlgorithmConfigSchema } from '@spider-bench/inference/config-schema'

/** Serialized once: the document never changes while the process runs. */
const ALGORITHM_CONFIG_JSON = JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...AlgorithmConfigSchema })

/** JSON Schemas of the files participants upload (public, like the API documentation). */
const schemas: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/schemas/algorithm-config',
    {
      schema: {
        tags: ['schemas'],
        summary: 'JSON Schema of config.json in algorithm submissions (kind "algorithm")',
        security: [],
        response: { 200: Type.Unknown({ description: 'a JSON Schema (draft-07) document' }) },
      },
    },
    async (_request, reply) => {
      reply.type('application/schema+json; charset=utf-8')
      return reply.send(ALGORITHM_CONFIG_JSON)
    },
  )
}
export default schemas
