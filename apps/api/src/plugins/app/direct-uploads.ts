import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { sweepDirectUploads } from '../../services/direct-uploads.ts'

/** How often each API process sweeps what expired direct uploads left. */
export const DIRECT_UPLOAD_SWEEP_MS = 5 * 60_000

/**
 * The sweep of direct uploads (services/direct-uploads.ts), where the storage takes them: at
 * start and every DIRECT_UPLOAD_SWEEP_MS, expired uploads are marked so and their objects (and
 * any object under uploads/ whose upload is over) removed. Every API process runs it; they
 * agree through the database, and a removal done twice is harmless.
 */
export default fp(
  async function directUploads(app: FastifyInstance) {
    if (!app.storage.presignUpload) return
    let running: Promise<void> | null = null
    const sweep = () => (running ??= run().finally(() => (running = null)))
    const run = async () => {
      try {
        const { expired, removed } = await sweepDirectUploads({ db: app.db, storage: app.storage })
        if (expired + removed > 0) app.log.info({ expired, removed }, 'direct uploads: removed what expired uploads left')
      } catch (err) {
        app.log.warn({ err }, 'direct uploads: the sweep failed; it runs again later')
      }
    }
    let timer: NodeJS.Timeout | null = null
    app.addHook('onReady', async () => {
      void sweep()
      timer = setInterval(() => void sweep(), DIRECT_UPLOAD_SWEEP_MS)
      timer.unref()
    })
    app.addHook('onClose', async () => {
      if (timer) clearInterval(timer)
      await running
    })
  },
  { name: 'direct-uploads', dependencies: ['config'] },
)
