import fp from 'fastify-plugin'
import { Redis } from 'ioredis'
import type { FastifyInstance } from 'fastify'
import { leaderboardChannel } from '@spider-bench/contracts'
import { getLeaderboard } from '../../services/leaderboards.ts'

/**
 * Boards are cached, serialized, per phase: a board changes only when a worker stores a new
 * snapshot (an evaluation finished, or the ranking settings changed) or the phase's
 * perSeriesVisibility changes. Workers announce every new snapshot on Redis, and a visibility
 * change is announced by the API process that made it; either drops the cached boards at
 * once in every API process. The TTL only bounds staleness should an announcement be lost
 * (Redis reconnecting). Boards at a settled past time are immutable snapshots.
 */
const LATEST_TTL_MS = 10_000
const MAX_CACHED = 500
/** A snapshot transaction stamps computedAt when it starts; past this age every one has committed. */
const SETTLED_MS = 60_000
/** Announced on the leaderboard channel when a phase's perSeriesVisibility changes. */
const VISIBILITY_CHANGED = 'visibility-changed'

export interface LeaderboardCache {
  /**
   * The public board of a phase now (`at` null) or at a past time, serialized (JSON); a
   * cached board is returned at once (no promise: the hot path of the route).
   */
  board(challenge: string, phase: string, at: Date | null): string | Promise<string>
  /** What public boards may show changed, past ones included: every process drops its boards. */
  visibilityChanged(): Promise<void>
}

declare module 'fastify' {
  interface FastifyInstance {
    leaderboardCache: LeaderboardCache
  }
}

export default fp(
  async function leaderboardCache(app: FastifyInstance) {
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
    const channel = leaderboardChannel(app.config.queuePrefix)
    const subscriber = new Redis(app.config.redisUrl, { maxRetriesPerRequest: null, lazyConnect: true })
    subscriber.on('error', (err) => app.log.warn({ err }, 'leaderboard announcements: redis connection error'))
    subscriber.on('message', (_channel: string, message: string) => (message === VISIBILITY_CHANGED ? dropAll() : dropLatest()))
    // Subscribing waits in the offline queue while Redis is down; the TTL covers that time.
    subscriber
      .subscribe(channel)
      .catch((err: unknown) => app.log.warn({ err }, 'leaderboard announcements unavailable; boards expire by TTL'))
    app.addHook('onClose', async () => {
      subscriber.disconnect()
    })

    const read = (challenge: string, phase: string, at: Date | null) =>
      getLeaderboard(app.db, challenge, phase, at, app.config.minAggregateSeries)
    app.decorate('leaderboardCache', {
      board(challenge, phase, at) {
        const cacheable = at === null || at.getTime() < Date.now() - SETTLED_MS
        if (!cacheable) return read(challenge, phase, at).then((board) => JSON.stringify(board))
        const key = `${challenge}/${phase}/${at?.toISOString() ?? 'latest'}`
        const hit = cache.get(key)
        if (hit && (at !== null || Date.now() - hit.at < LATEST_TTL_MS)) return hit.json
        // Single flight: concurrent misses of one board share one database read, so a burst
        // after an invalidation costs one query, not one per request.
        let pending = loading.get(key)
        if (!pending) {
          const readAt = generation
          pending = read(challenge, phase, at)
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
        return pending
      },
      async visibilityChanged() {
        dropAll()
        await app.redis
          .publish(channel, VISIBILITY_CHANGED)
          .catch((err: unknown) => app.log.warn({ err }, 'could not announce the visibility change'))
      },
    } satisfies LeaderboardCache)
  },
  { name: 'leaderboard-cache', dependencies: ['config', 'queue'] },
)
