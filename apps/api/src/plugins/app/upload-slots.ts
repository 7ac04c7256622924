import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { ApiError } from '../../errors.ts'
import { isDeadLocalProcess, processIdentity, sweepUploadTmp } from '../../lib/upload-tmp.ts'

/** A Redis slot lives this long unless its holder refreshes it (a crashed process frees it then). */
const SLOT_TTL_MS = 60_000
const REFRESH_MS = 20_000

// Compare-and-delete / compare-and-expire: a holder never touches a slot someone else took after it expired.
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`
const REFRESH = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`
// Take-over of a slot whose holder is known dead: only if it still holds the value read.
const TAKE_OVER =
  `if redis.call('get', KEYS[1]) == ARGV[1] then ` + `return redis.call('set', KEYS[1], ARGV[2], 'PX', ARGV[3]) else return 0 end`

/** A held slot; `release` is idempotent and never throws. */
export interface UploadSlot {
  release(): Promise<void>
}

export interface UploadSlots {
  /**
   * Takes the slot `key` (e.g. one participant's uploads to one phase) for as long as an
   * upload is received and validated, or throws 409 `upload_in_progress` with `busyMessage`.
   */
  acquire(key: string, busyMessage: string): Promise<UploadSlot>
  /** Keys this process holds now. */
  held(): string[]
}

declare module 'fastify' {
  interface FastifyInstance {
    /** One upload in flight per key, agreed across API processes through Redis. */
    uploadSlots: UploadSlots
  }
}

/**
 * Upload slots: held in this process (a Set) and, so that several API processes agree, as a
 * Redis key set with NX and a TTL that the holder refreshes while the upload runs. When Redis
 * is unreachable the slot is enforced in this process only (uploads keep working, as enqueueing
 * falls back to the worker's reconciler). A slot whose holder was an API process of this host
 * that no longer runs (killed during the upload) is taken over at once. At start, the received
 * files that such a process left under DATA_DIR/tmp are removed (lib/upload-tmp.ts).
 */
export default fp(
  async function uploadSlots(app: FastifyInstance) {
    const local = new Set<string>()
    const redisKey = (key: string) => `${app.config.queuePrefix}spider-bench:upload-slot:${key}`
    const busy = (message: string) => new ApiError(409, 'upload_in_progress', message)

    async function acquire(key: string, busyMessage: string): Promise<UploadSlot> {
      if (local.has(key)) throw busy(busyMessage)
      local.add(key)
      // The holder's identity first: a slot held by an API process of this host that was killed
      // during an upload is taken over at once instead of blocking the participant for SLOT_TTL_MS.
      const token = `${processIdentity()}/${randomUUID()}`
      let shared = false
      if (app.redis.status === 'ready') {
        try {
          shared = (await app.redis.set(redisKey(key), token, 'PX', SLOT_TTL_MS, 'NX')) === 'OK'
          if (!shared) {
            const holder = await app.redis.get(redisKey(key))
            if (holder !== null && isDeadLocalProcess(holder.split('/')[0]))
              shared = (await app.redis.eval(TAKE_OVER, 1, redisKey(key), holder, token, SLOT_TTL_MS)) === 'OK'
          }
          if (!shared) {
            local.delete(key)
            throw busy(busyMessage)
          }
        } catch (err) {
          if (err instanceof ApiError) throw err
          app.log.warn({ err, key }, 'upload slot: Redis failed; enforcing the slot in this process only')
        }
      } else {
        app.log.warn({ key }, 'upload slot: Redis is not connected; enforcing the slot in this process only')
      }
      const refresh = shared
        ? setInterval(() => {
            app.redis.eval(REFRESH, 1, redisKey(key), token, SLOT_TTL_MS).then(
              (kept) => {
                if (kept !== 1) app.log.warn({ key }, 'upload slot: the Redis key expired while the upload ran')
              },
              (err: unknown) => app.log.warn({ err, key }, 'upload slot: could not refresh the Redis key'),
            )
          }, REFRESH_MS)
        : null
      refresh?.unref()
      let released = false
      return {
        async release() {
          if (released) return
          released = true
          if (refresh) clearInterval(refresh)
          local.delete(key)
          if (shared)
            await app.redis
              .eval(RELEASE, 1, redisKey(key), token)
              .catch((err: unknown) => app.log.warn({ err, key }, 'upload slot: could not release the Redis key; it expires by itself'))
        },
      }
    }

    app.decorate('uploadSlots', { acquire, held: () => [...local] } satisfies UploadSlots)

    // An API process killed during an upload left its received files behind: removed now.
    app.addHook('onReady', async () => {
      const removed = await sweepUploadTmp(join(app.config.dataDir, 'tmp')).catch((err: unknown) => {
        app.log.warn({ err }, 'could not remove the files of interrupted uploads')
        return []
      })
      if (removed.length > 0)
        app.log.warn({ folders: removed }, `removed the received files of ${removed.length} API process(es) that stopped during an upload`)
    })
  },
  { name: 'upload-slots', dependencies: ['config', 'queue'] },
)
