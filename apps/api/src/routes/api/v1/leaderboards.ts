import { type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Redis } from 'ioredis'
import { leaderboardChannel } from '@spider-bench/contracts'
import { errorResponses } from '../../../schemas/common.ts'
import { PhaseParams } from '../../../schemas/challenge.ts'
import { LeaderboardQuery, LeaderboardSchema, LeaderboardStabilitySchema, type LeaderboardStabilityView, type LeaderboardView } from '../../../schemas/leaderboard.ts'
import { getLeaderboard, getLeaderboardStability, leaderboardChanges, parseAt, VISIBILITY_CHANGED } from '../../../services/leaderboards.ts'

/**
 * Boards are cached, serialized, per phase: a board changes only when an evaluation finishes
 * (possibly in another process) or the ranking settings change. Workers announce every new
 * snapshot on Redis and settings changes in this process emit `leaderboardChanges`; either
 * drops the cached boards at once. The TTL only bounds staleness should an announcement be
 * lost (Redis reconnecting). Boards at a settled past time are immutable snapshots.
 */
const LATEST_TTL_MS = 10_000
const MAX_CACHED = 500
/** A snapshot transaction stamps computedAt when it starts; past this age every one has committed. */
const SETTLED_MS = 60_000

/** Fastify sends a string payload as is (no second serialization); the type provider cannot say so. */
const preSerialized = (json: string) => json as unknown as LeaderboardView

/** Public leaderboard of a phase, now or at a past time (`?at=`). */
const leaderboards: FastifyPluginAsyncTypebox = async (app) => {
  // Serialized once per cache entry: a hit costs no database query and no serialization.
  const cache = new Map<string, { at: number; json: string }>()
  const loading = new Map<string, Promise<string>>()
  // Bumped on every announcement: a board read before it is not cached after it.
  let generation = 0
  const dropLatest = () => {
    generation++
    for (const key of cache.keys()) if (key.endsWith('/latest')) cache.delete(key)
    // Reads begun before the change must not be joined by requests made after it.
    for (const key of loading.keys()) if (key.endsWith('/latest')) loading.delete(key)
  }
  // A phase's perSeriesVisibility decides what its boards show, past ones included.
  const dropAll = () => {
    generation++
    cache.clear()
    loading.clear()
  }
  leaderboardChanges.on('changed', dropLatest)
  leaderboardChanges.on('visibility', dropAll)
  const subscriber = new Redis(app.config.redisUrl, { maxRetriesPerRequest: null, lazyConnect: true })
  subscriber.on('error', (err) => app.log.warn({ err }, 'leaderboard announcements: redis connection error'))
  subscriber.on('message', (_channel: string, message: string) => (message === VISIBILITY_CHANGED ? dropAll() : dropLatest()))
  // Subscribing waits in the offline queue while Redis is down; the TTL covers that time.
  subscriber.subscribe(leaderboardChannel(app.config.queuePrefix)).catch((err: unknown) => app.log.warn({ err }, 'leaderboard announcements unavailable; boards expire by TTL'))
  app.addHook('onClose', async () => {
    leaderboardChanges.off('changed', dropLatest)
    leaderboardChanges.off('visibility', dropAll)
    subscriber.disconnect()
  })
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
      if (!cacheable) return reply.send(preSerialized(JSON.stringify(await getLeaderboard(app.db, challenge, phase, at, app.config.minAggregateSeries))))
      // Single flight: concurrent misses of one board share one database read, so a burst
      // after an invalidation costs one query, not one per request.
      let pending = loading.get(key)
      if (!pending) {
        const readAt = generation
        pending = getLeaderboard(app.db, challenge, phase, at, app.config.minAggregateSeries)
          .then((board) => {
            const json = JSON.stringify(board)
            if (readAt === generation) {
              if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string)
              cache.set(key, { at: Date.now(), json })
            }
            return json
          })
          .finally(() => {
            if (loading.get(key) === pending) loading.delete(key)
          })
        loading.set(key, pending)
      }
      return reply.send(preSerialized(await pending))
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
