import { join } from 'node:path'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { DirectUpload } from '@spider-bench/db'
import { receiveUpload, type ReceivedUpload } from './receive-upload.ts'
import { serviceDeps } from './service-deps.ts'
import { claimDirectUpload, receiveDirectUpload, settleDirectUpload } from '../services/direct-uploads.ts'

/** One upload of its kind in flight: `key` names the slot, `busy` the refusal (409) while it is taken. */
export interface UploadSlotKey {
  readonly key: string
  readonly busy: string
}

/**
 * The HTTP side of an upload route: holds the upload slot `slot.key` (one upload of its kind
 * in flight, across API processes; refused with `slot.busy` while taken, or while a direct
 * upload of the slot is open: `stillFree`) from before the body is read until the answer,
 * receives the multipart body into a temp dir, hands it to `use` (a service), and removes the
 * temp files whatever happens.
 */
export async function withUpload<T>(
  app: FastifyInstance,
  request: FastifyRequest,
  slot: UploadSlotKey,
  fileFields: readonly string[],
  use: (upload: ReceivedUpload) => Promise<T>,
  stillFree?: () => Promise<void>,
): Promise<T> {
  const held = await app.uploadSlots.acquire(slot.key, slot.busy)
  const upload = await (async () => {
    await stillFree?.()
    return receiveUpload(request, join(app.config.dataDir, 'tmp'), fileFields)
  })().catch(async (err: unknown) => {
    await held.release()
    throw err
  })
  try {
    return await use(upload)
  } finally {
    await upload.cleanup().finally(() => held.release())
  }
}

/**
 * The completion of a direct upload (services/direct-uploads.ts), as withUpload for a stored
 * object: the same slot held until the answer, the upload taken once, its object read back into
 * a temp dir and checked against the declared size and SHA-256, handed to `use` (the same
 * service as the streamed route), then the upload settled and the temp files removed.
 */
export async function withDirectUpload<T>(
  app: FastifyInstance,
  request: FastifyRequest,
  row: DirectUpload,
  slot: UploadSlotKey,
  use: (upload: ReceivedUpload) => Promise<T>,
): Promise<T> {
  const deps = serviceDeps(app, request.log)
  const held = await app.uploadSlots.acquire(slot.key, slot.busy)
  try {
    await claimDirectUpload(app.db, row)
    let outcome: unknown = null
    try {
      const upload = await receiveDirectUpload(app.storage, row, join(app.config.dataDir, 'tmp'))
      try {
        return await use(upload)
      } finally {
        await upload.cleanup()
      }
    } catch (err) {
      outcome = err
      throw err
    } finally {
      await settleDirectUpload(deps, row, outcome)
    }
  } finally {
    await held.release()
  }
}
