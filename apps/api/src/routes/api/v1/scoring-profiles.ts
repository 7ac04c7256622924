import { type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { metricDefinitions, PROFILE_NAMES } from '@spider-bench/scoring'

const ScoringProfileSchema = Type.Object({
  name: Type.String(),
  metrics: Type.Array(
    Type.Object({
      key: Type.String(),
      order: Type.Union([Type.Literal('asc'), Type.Literal('desc')], { description: 'desc: higher is better; asc: lower is better' }),
      label: Type.String(),
      unit: Type.String({ description: '"" (a fraction from 0 to 1), "mm" or "structures"' }),
      description: Type.String(),
    }),
  ),
})

const PROFILES = PROFILE_NAMES.map((name) => ({ name, metrics: metricDefinitions(name) }))

/** What every metric of each scoring profile means: unit, direction, definition (public). */
const scoringProfiles: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/scoring-profiles',
    { schema: { tags: ['challenges'], security: [], response: { 200: Type.Array(ScoringProfileSchema) } } },
    async () => PROFILES,
  )
}
export default scoringProfiles
