import { createWriteStream } from 'node:fs'
import { mkdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { FastifyRequest } from 'fastify'
import { ApiError, badRequest, payloadTooLarge } from '../errors.ts'
import { newUploadFolderName } from './upload-tmp.ts'

export interface ReceivedFile {
  /** Where the upload was written (a temp file under DATA_DIR/tmp/<process>-<upload>/). */
  readonly path: string
  /** The client's file name. */
  readonly filename: string
  readonly size: number
}

export interface ReceivedUpload {
  readonly fields: Record<string, string>
  readonly files: Record<string, ReceivedFile>
  /** Private temp dir of this upload; callers may write more there (extracted archives). */
  readonly dir: string
  cleanup(): Promise<void>
}

/** 408 for an upload cut off by a timeout; the connection is closed after the answer. */
const uploadTimeout = (message: string) => new ApiError(408, 'request_timeout', message, undefined, { connection: 'close' })

/**
 * Watches an upload's progress on its socket: `onTrip` is called (once) when the body has not
 * arrived within UPLOAD_TIMEOUT_SECONDS, or when fewer than UPLOAD_MIN_BYTES_PER_SECOND ×
 * UPLOAD_PROGRESS_WINDOW_SECONDS bytes arrived in a window (a trickled or stalled upload).
 * Returns the function that stops watching.
 */
function watchUpload(request: FastifyRequest, onTrip: (err: ApiError) => void): () => void {
  const { uploadTimeoutSeconds, uploadMinBytesPerSecond: rate, uploadProgressWindowSeconds: window } = request.server.config
  const socket = request.raw.socket
  const minBytes = rate * window
  let mark = socket.bytesRead
  const overall = setTimeout(
    () => onTrip(uploadTimeout(`the upload did not arrive within UPLOAD_TIMEOUT_SECONDS (${uploadTimeoutSeconds} s) and was cancelled`)),
    uploadTimeoutSeconds * 1000,
  )
  const progress =
    minBytes > 0
      ? setInterval(() => {
          const now = socket.bytesRead
          if (now - mark < minBytes) {
            onTrip(
              uploadTimeout(
                `the upload is too slow and was cancelled: ${now - mark} bytes arrived in ${window} s, ` +
                  `at least ${minBytes} are needed (UPLOAD_MIN_BYTES_PER_SECOND=${rate} ` +
                  `over UPLOAD_PROGRESS_WINDOW_SECONDS=${window})`,
              ),
            )
          }
          mark = now
        }, window * 1000)
      : null
  return () => {
    clearTimeout(overall)
    if (progress) clearInterval(progress)
  }
}

/**
 * Streams a multipart request's files to a private temp dir (never into memory), enforcing
 * MAX_UPLOAD_BYTES per file as it streams. Only the named file fields are accepted. A body
 * that stalls, trickles or takes longer than UPLOAD_TIMEOUT_SECONDS is cut off with 408. On
 * any failure the temp dir is removed before the error propagates.
 */
export async function receiveUpload(request: FastifyRequest, tmpRoot: string, fileFields: readonly string[]): Promise<ReceivedUpload> {
  if (!request.isMultipart())
    throw new ApiError(
      415,
      'unsupported_media_type',
      `expected a multipart/form-data upload with file field${fileFields.length > 1 ? 's' : ''} ` +
        fileFields.map((f) => `"${f}"`).join(', '),
    )
  // Named after this process: what a killed process leaves is removed at the next start (upload-tmp.ts).
  const dir = join(tmpRoot, newUploadFolderName())
  await mkdir(dir, { recursive: true })
  const cleanup = () => rm(dir, { recursive: true, force: true })
  const fields: Record<string, string> = {}
  const files: Record<string, ReceivedFile> = {}
  // A timeout ends the wait for the next part, or destroys the file being written.
  let timedOut: ApiError | null = null
  let currentFile: Readable | null = null
  let rejectTimeout: (err: ApiError) => void = () => undefined
  const timeout = new Promise<never>((_, reject) => (rejectTimeout = reject))
  timeout.catch(() => undefined)
  const stopWatching = watchUpload(request, (err) => {
    if (timedOut) return
    timedOut = err
    currentFile?.destroy(err)
    rejectTimeout(err)
  })
  try {
    const parts = request.parts()[Symbol.asyncIterator]()
    for (;;) {
      const next = await Promise.race([parts.next(), timeout])
      if (next.done) break
      const part = next.value
      if (part.type === 'field') {
        if (typeof part.value !== 'string') throw badRequest(`field "${part.fieldname}" must be text`)
        fields[part.fieldname] = part.value
        continue
      }
      if (!fileFields.includes(part.fieldname)) {
        part.file.resume()
        throw badRequest(`unexpected file field "${part.fieldname}" (expected ${fileFields.map((f) => `"${f}"`).join(' or ')})`)
      }
      if (files[part.fieldname]) {
        part.file.resume()
        throw badRequest(`file field "${part.fieldname}" was sent more than once`)
      }
      const target = join(dir, `upload-${part.fieldname}`)
      try {
        currentFile = part.file
        await pipeline(part.file, createWriteStream(target, { flags: 'wx' }))
      } catch (err) {
        if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge(part.fieldname, request)
        throw timedOut ?? err
      } finally {
        currentFile = null
      }
      if (part.file.truncated) throw tooLarge(part.fieldname, request)
      files[part.fieldname] = { path: target, filename: part.filename, size: (await stat(target)).size }
    }
  } catch (err) {
    await cleanup()
    if (timedOut) throw timedOut
    if (err instanceof ApiError) throw err
    const code = (err as { code?: string }).code
    if (code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge('upload', request)
    if (code?.startsWith('FST_') || code === 'ECONNRESET' || (err as Error).message === 'Unexpected end of form') {
      throw badRequest(`the multipart upload could not be read: ${(err as Error).message}`)
    }
    throw err
  } finally {
    stopWatching()
  }
  return { fields, files, dir, cleanup }
}

function tooLarge(field: string, request: FastifyRequest): ApiError {
  return payloadTooLarge(`file "${field}" exceeds MAX_UPLOAD_BYTES (${request.server.config.maxUploadBytes} bytes)`)
}
