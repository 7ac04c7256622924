import { type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { requireRole } from '../../../plugins/app/auth.ts'
import { errorResponses } from '../../../schemas/common.ts'
import {
  ChallengeParams,
  ChallengeSchema,
  CreateChallengeSchema,
  CreatePhaseSchema,
  PhaseParams,
  PhaseSchema,
  UpdatePhaseSchema,
} from '../../../schemas/challenge.ts'
import { serviceDeps } from '../../../lib/service-deps.ts'
import { changesRanking, requestLeaderboardRecompute } from '../../../services/leaderboards.ts'
import { createChallenge, createPhase, getChallenge, listChallenges, phaseResources, updatePhase } from '../../../services/challenges.ts'

/** Challenges and their phases: public reads, writes by admins and the owning organiser. */
const challenges: FastifyPluginAsyncTypebox = async (app) => {
  const resources = phaseResources(app.config)
  app.get('/challenges', { schema: { tags: ['challenges'], security: [], response: { 200: Type.Array(ChallengeSchema) } } }, async () =>
    listChallenges(app.db, resources),
  )

  app.get(
    '/challenges/:challenge',
    { schema: { tags: ['challenges'], security: [], params: ChallengeParams, response: { 200: ChallengeSchema, ...errorResponses(404) } } },
    async (request) => getChallenge(app.db, request.params.challenge, resources),
  )

  app.post(
    '/challenges',
    {
      schema: {
        tags: ['challenges'],
        body: CreateChallengeSchema,
        response: { 201: ChallengeSchema, ...errorResponses(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const user = requireRole(request, 'admin', 'organiser')
      return reply.status(201).send(await createChallenge(app.db, user, request.body, resources))
    },
  )

  app.post(
    '/challenges/:challenge/phases',
    {
      schema: {
        tags: ['challenges'],
        params: ChallengeParams,
        body: CreatePhaseSchema,
        response: { 201: PhaseSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const user = requireRole(request, 'admin', 'organiser')
      return reply.status(201).send(await createPhase(app.db, user, request.params.challenge, request.body, resources))
    },
  )

  app.patch(
    '/challenges/:challenge/phases/:phase',
    {
      schema: {
        tags: ['challenges'],
        params: PhaseParams,
        body: UpdatePhaseSchema,
        response: { 200: PhaseSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const user = requireRole(request, 'admin', 'organiser')
      const phase = await updatePhase(app.db, user, request.params.challenge, request.params.phase, request.body, resources)
      if (request.body.perSeriesVisibility !== undefined) await app.leaderboardCache.visibilityChanged()
      if (changesRanking(request.body))
        await requestLeaderboardRecompute(serviceDeps(app, request.log), request.params.challenge, phase.slug)
      return phase
    },
  )
}
export default challenges
