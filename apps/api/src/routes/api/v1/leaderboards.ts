import { type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { errorResponses } from '../../../schemas/common.ts'
import { PhaseParams } from '../../../schemas/challenge.ts'
import {
  LeaderboardQuery,
  LeaderboardSchema,
  LeaderboardStabilitySchema,
  type LeaderboardStabilityView,
  type LeaderboardView,
} from '../../../schemas/leaderboard.ts'
import { getLeaderboardStability, parseAt } from '../../../services/leaderboards.ts'

/** Fastify sends a string payload as is (no second serialization); the type provider cannot say so. */
const preSerialized = (json: string) => json as unknown as LeaderboardView

/** Public leaderboard of a phase, now or at a past time (`?at=`). */
const leaderboards: FastifyPluginAsyncTypebox = async (app) => {
  // Served from the leaderboard cache (plugins/app/leaderboard-cache.ts).
  app.get(
    '/challenges/:challenge/phases/:phase/leaderboard',
    {
      schema: {
        tags: ['leaderboards'],
        security: [],
        params: PhaseParams,
        querystring: LeaderboardQuery,
        response: { 200: LeaderboardSchema, ...errorResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const { challenge, phase } = request.params
      const board = app.leaderboardCache.board(challenge, phase, parseAt(request.query.at))
      const json = typeof board === 'string' ? board : await board
      reply.type('application/json; charset=utf-8')
      return reply.send(preSerialized(json))
    },
  )
  // Stability figures of the snapshot in force (now or at `?at=`), stored by the worker with
  // it; public like the board. Sent pre-serialized: the p-value matrices hold entries² cells.
  app.get(
    '/challenges/:challenge/phases/:phase/leaderboard/stability',
    {
      schema: {
        tags: ['leaderboards'],
        security: [],
        params: PhaseParams,
        querystring: LeaderboardQuery,
        response: { 200: LeaderboardStabilitySchema, ...errorResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const { challenge, phase } = request.params
      const stability = await getLeaderboardStability(app.db, challenge, phase, parseAt(request.query.at))
      reply.type('application/json; charset=utf-8')
      return reply.send(JSON.stringify(stability) as unknown as LeaderboardStabilityView)
    },
  )
}
export default leaderboards
