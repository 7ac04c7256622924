import { randomUUID } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { FastifyRequest } from 'fastify'
import { ApiError, badRequest, payloadTooLarge } from '../errors.ts'

export interface ReceivedFile {
  /** Where the upload was written (a temp file under DATA_DIR/tmp). */
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

/**
 * Streams a multipart request's files to a private temp dir (never into memory), enforcing
 * MAX_UPLOAD_BYTES per file as it streams. Only the named file fields are accepted. On any
 * failure the temp dir is removed before the error propagates.
 */
export async function receiveUpload(request: FastifyRequest, tmpRoot: string, fileFields: readonly string[]): Promise<ReceivedUpload> {
  if (!request.isMultipart()) throw new ApiError(415, 'unsupported_media_type', `expected a multipart/form-data upload with file field${fileFields.length > 1 ? 's' : ''} ${fileFields.map((f) => `"${f}"`).join(', ')}`)
  const dir = join(tmpRoot, randomUUID())
  await mkdir(dir, { recursive: true })
  const cleanup = () => rm(dir, { recursive: true, force: true })
  const fields: Record<string, string> = {}
  const files: Record<string, ReceivedFile> = {}
  try {
    for await (const part of request.parts()) {
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
        await pipeline(part.file, createWriteStream(target, { flags: 'wx' }))
      } catch (err) {
        if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge(part.fieldname, request)
        throw err
      }
      if (part.file.truncated) throw tooLarge(part.fieldname, request)
      files[part.fieldname] = { path: target, filename: part.filename, size: (await stat(target)).size }
    }
  } catch (err) {
    await cleanup()
    if (err instanceof ApiError) throw err
    const code = (err as { code?: string }).code
    if (code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge('upload', request)
    if (code?.startsWith('FST_') || code === 'ECONNRESET' || (err as Error).message === 'Unexpected end of form') {
      throw badRequest(`the multipart upload could not be read: ${(err as Error).message}`)
    }
    throw err
  }
  return { fields, files, dir, cleanup }
}

function tooLarge(field: string, request: FastifyRequest): ApiError {
  return payloadTooLarge(`file "${field}" exceeds MAX_UPLOAD_BYTES (${request.server.config.maxUploadBytes} bytes)`)
}
