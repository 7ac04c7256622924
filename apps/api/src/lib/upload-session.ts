import { join } from 'node:path'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { receiveUpload, type ReceivedUpload } from './receive-upload.ts'

/**
 * The HTTP side of an upload route: holds the upload slot `slot.key` (one upload of its kind
 * in flight, across API processes; refused with `slot.busy` while taken) from before the body
 * is read until the answer, receives the multipart body into a temp dir, hands it to `use`
 * (a service), and removes the temp files whatever happens.
 */
export async function withUpload<T>(
  app: FastifyInstance,
  request: FastifyRequest,
  slot: { readonly key: string; readonly busy: string },
  fileFields: readonly string[],
  use: (upload: ReceivedUpload) => Promise<T>,
): Promise<T> {
  const held = await app.uploadSlots.acquire(slot.key, slot.busy)
  const upload = await receiveUpload(request, join(app.config.dataDir, 'tmp'), fileFields).catch(async (err: unknown) => {
    await held.release()
    throw err
  })
  try {
    return await use(upload)
  } finally {
    await upload.cleanup().finally(() => held.release())
  }
}
