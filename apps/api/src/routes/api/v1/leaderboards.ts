import { type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { errorResponses } from '../../../schemas/common.ts'
import { PhaseParams } from '../../../schemas/challenge.ts'
import { LeaderboardQuery, LeaderboardSchema, type LeaderboardView } from '../../../schemas/leaderboard.ts'
import { getLeaderboard, parseAt } from '../../../services/leaderboards.ts'

/**
 * Latest boards are cached per phase for a short time: the board changes only when an
 * evaluation finishes (possibly in another process), and a second of staleness keeps the
 * route cheap under load. Boards at a past time are immutable snapshots (a time in the
 * future could still change, so it is not cached).
 */
const LATEST_TTL_MS = 1000
const MAX_CACHED = 500
/** A snapshot transaction stamps computedAt when it starts; past this age every one has committed. */
const SETTLED_MS = 60_000

/** Fastify sends a string payload as is (no second serialization); the type provider cannot say so. */
const preSerialized = (json: string) => json as unknown as LeaderboardView

/** Public leaderboard of a phase, now or at a past time (`?at=`). */
const leaderboards: FastifyPluginAsyncTypebox = async (app) => {
  // Serialized once per cache entry: a hit costs no database query and no serialization.
  const cache = new Map<string, { at: number; json: string }>()
  app.get(
    '/challenges/:challenge/phases/:phase/leaderboard',
    { schema: { tags: ['leaderboards'], security: [], params: PhaseParams, querystring: LeaderboardQuery, response: { 200: LeaderboardSchema, ...errorResponses(400, 404) } } },
    async (request, reply) => {
      const { challenge, phase } = request.params
      const at = parseAt(request.query.at)
      const cacheable = at === null || at.getTime() < Date.now() - SETTLED_MS
      const key = `${challenge}/${phase}/${at?.toISOString() ?? 'latest'}`
      const hit = cacheable ? cache.get(key) : undefined
      reply.type('application/json; charset=utf-8')
      if (hit && (at !== null || Date.now() - hit.at < LATEST_TTL_MS)) return reply.send(preSerialized(hit.json))
      const json = JSON.stringify(await getLeaderboard(app.db, challenge, phase, at))
      if (cacheable) {
        if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string)
        cache.set(key, { at: Date.now(), json })
      }
      return reply.send(preSerialized(json))
    },
  )
}
export default leaderboards
