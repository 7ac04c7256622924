import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { readImage } from '@spider-bench/scoring'
import { withLocalFile } from '@spider-bench/storage'
import { outlinePreviewPng } from '@spider-bench/synth/preview'
import { ApiError, notFound, tooManyRequests } from '../../errors.ts'

/** Pictures drawn at once per API process; more get 429 (each decodes three volumes). */
const MAX_RENDERS = 2

export interface CanaryPreviews {
  /** The PNG of a canary case, drawn once and kept in storage beside the submission. */
  render(c: { imageKey: string; maskKey: string; predictionKey: string; previewKey: string }): Promise<Buffer>
}

declare module 'fastify' {
  interface FastifyInstance {
    canaryPreviews: CanaryPreviews
  }
}

/**
 * Canary pictures: the mid-sagittal slice of a public sanity case with the reference and the
 * model's prediction outlined (packages/synth outlinePreviewPng). The caller (routes/api/v1/
 * canary.ts) resolves only cases of public sanity sets, so no hidden series is ever drawn.
 */
export default fp(
  async function canaryPreviews(app: FastifyInstance) {
    let running = 0
    app.decorate('canaryPreviews', {
      async render(c) {
        if (await app.storage.exists(c.previewKey)) return app.storage.get(c.previewKey)
        if (!(await app.storage.exists(c.predictionKey))) throw notFound('the model has produced no mask for this case (yet)')
        if (running >= MAX_RENDERS) throw tooManyRequests('other pictures are being drawn; retry in a moment', 2)
        running++
        try {
          const limits = { maxVoxels: app.config.maxImageVoxels }
          const [image, reference, prediction] = await Promise.all(
            [c.imageKey, c.maskKey, c.predictionKey].map((key) => withLocalFile(app.storage, key, (path) => readImage(path, limits))),
          )
          let png: Buffer
          try {
            png = outlinePreviewPng(image, reference, prediction)
          } catch (err) {
            app.log.warn({ err }, 'canary preview failed')
            throw new ApiError(422, 'invalid_input', "the predicted mask does not lie on the case's voxel grid; no picture can be drawn")
          }
          await app.storage.put(c.previewKey, png)
          return png
        } finally {
          running--
        }
      },
    } satisfies CanaryPreviews)
  },
  { name: 'canary-previews', dependencies: ['config'] },
)
