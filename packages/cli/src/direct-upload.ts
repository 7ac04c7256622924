/**
 * The client side of direct uploads (the server's POST .../uploads routes): where the server keeps
 * its files in an object store, a large archive goes there through a presigned PUT instead of
 * through the API process; the server then validates it from storage ("complete") and answers as
 * the streamed route would. A server whose storage takes none (the file store) answers 501, an
 * older one 404 "no route": then the caller streams the archive as before.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { pipeline } from 'node:stream/promises'
import type { UploadResult } from './testset-upload.ts'

/** The server's answer to POST .../uploads. */
export interface DirectUploadDocument {
  readonly id: string
  readonly size: number
  readonly sha256: string
  readonly upload: { readonly method: string; readonly url: string; readonly headers: Readonly<Record<string, string>> }
  readonly expiresAt: string
  /** The path to POST once the PUT succeeded. */
  readonly complete: string
}

/** Size and SHA-256 of a file, read once. */
export async function fileDigest(file: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256')
  await pipeline(createReadStream(file), hash)
  return { size: (await stat(file)).size, sha256: hash.digest('hex') }
}

/** The object store refused the PUT (its status and the start of its answer). */
export class DirectPutError extends Error {
  constructor(
    readonly status: number,
    readonly answer: string,
  ) {
    super(`the object store refused the upload (HTTP ${status}): ${answer.slice(0, 300)}`)
    this.name = 'DirectPutError'
  }
}

/**
 * PUTs `file` to the presigned URL with exactly the signed headers, streaming from disk with a
 * known length and reporting bytes as they leave. Rejects with DirectPutError on a non-2xx
 * answer, with the system error on a lost connection.
 */
export async function putPresigned(
  upload: DirectUploadDocument['upload'],
  file: string,
  onProgress?: (sent: number, total: number) => void,
): Promise<void> {
  const total = (await stat(file)).size
  const target = new URL(upload.url)
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest
  await new Promise<void>((resolve, reject) => {
    const req = send(target, { method: upload.method, headers: { ...upload.headers, 'content-length': String(total) } })
    req.on('error', reject)
    req.on('response', (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('error', reject)
      res.on('end', () => {
        const status = res.statusCode ?? 0
        if (status >= 200 && status < 300) resolve()
        else reject(new DirectPutError(status, Buffer.concat(chunks).toString('utf8')))
      })
    })
    const source = createReadStream(file)
    let sent = 0
    source.on('data', (chunk) => {
      sent += chunk.length
      onProgress?.(sent, total)
    })
    source.on('error', (err) => {
      req.destroy()
      reject(new Error(`cannot read ${file}: ${err.message}`))
    })
    source.pipe(req)
  })
}

/** Whether an answer to POST .../uploads means "no direct uploads here": stream instead. */
export function streamsInstead(status: number, body: unknown): boolean {
  const message = (body as { error?: { message?: unknown } } | null)?.error?.message
  return status === 501 || (status === 404 && typeof message === 'string' && /^no route /.test(message))
}

async function jsonRequest(url: string, token: string, method: string, body?: unknown): Promise<UploadResult> {
  const res = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  })
  const text = await res.text()
  let parsed: unknown = text
  try {
    parsed = text ? JSON.parse(text) : null
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed, headers: Object.fromEntries(res.headers.entries()) }
}

/**
 * A direct upload of `file`: start at `startPath` (with `fields`), PUT, complete. Resolves with
 * the server's answer to the complete (as the streamed route would answer), with its answer to
 * the start when it refused it, or null when the server streams uploads instead. A PUT that
 * fails abandons the upload (DELETE) before the error propagates.
 */
export async function uploadDirect(
  baseUrl: string,
  token: string,
  startPath: string,
  fields: Record<string, unknown>,
  file: string,
  onProgress?: (sent: number, total: number) => void,
): Promise<UploadResult | null> {
  const { size, sha256 } = await fileDigest(file)
  const started = await jsonRequest(`${baseUrl}${startPath}`, token, 'POST', { ...fields, size, sha256 })
  if (streamsInstead(started.status, started.body)) return null
  if (started.status !== 201) return started
  const upload = started.body as DirectUploadDocument
  try {
    await putPresigned(upload.upload, file, onProgress)
  } catch (err) {
    await jsonRequest(`${baseUrl}/api/v1/uploads/${encodeURIComponent(upload.id)}`, token, 'DELETE').catch(() => undefined)
    throw err
  }
  return jsonRequest(`${baseUrl}${upload.complete}`, token, 'POST')
}
