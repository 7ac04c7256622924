import { createReadStream } from 'node:fs'
import { createGunzip, createInflate } from 'node:zlib'

export interface BoundedInflateOptions {
  /** Where the compressed stream starts in the file, and how many bytes it spans. */
  readonly start: number
  readonly length: number
  readonly encoding: 'zlib' | 'gzip'
  /** Output bytes to keep from the start of the stream (a header); 0 keeps nothing. */
  readonly keep: number
  /** Stop as soon as the stream has produced more than this many bytes. */
  readonly limit: number
}

export interface BoundedInflateResult {
  /** The first `keep` bytes of the output (fewer when the stream is shorter). */
  readonly head: Buffer
  /** Output bytes counted; more than `limit` means the stream was stopped there (it holds more). */
  readonly produced: number
  /** Whether the stream ended by itself (false: stopped at the limit). */
  readonly complete: boolean
}

/**
 * Decompresses part of a file as a stream with an output budget: it keeps only the first
 * `keep` bytes and stops, reading no further, once more than `limit` bytes came out. So a
 * few KB that would inflate to gigabytes cost at most `limit` + one zlib chunk (16 KiB).
 * Rejects with zlib's error on corrupt or truncated data.
 */
export function inflateBounded(file: string, options: BoundedInflateOptions): Promise<BoundedInflateResult> {
  const { start, length, encoding, keep, limit } = options
  return new Promise((resolve, reject) => {
    const input = length > 0 ? createReadStream(file, { start, end: start + length - 1, highWaterMark: 64 * 1024 }) : null
    const inflate = encoding === 'gzip' ? createGunzip() : createInflate()
    const kept: Buffer[] = []
    let keptBytes = 0
    let produced = 0
    let settled = false
    const finish = (err: Error | null, complete: boolean) => {
      if (settled) return
      settled = true
      input?.destroy()
      inflate.destroy()
      if (err) reject(err)
      else resolve({ head: Buffer.concat(kept), produced, complete })
    }
    inflate.on('data', (chunk: Buffer) => {
      if (settled) return
      if (keptBytes < keep) {
        const part = chunk.subarray(0, keep - keptBytes)
        kept.push(Buffer.from(part))
        keptBytes += part.length
      }
      produced += chunk.length
      if (produced > limit) finish(null, false)
    })
    inflate.on('end', () => finish(null, true))
    inflate.on('error', (err) => finish(err, false))
    if (input) {
      input.on('error', (err) => finish(err, false))
      input.pipe(inflate)
    } else {
      inflate.end()
    }
  })
}
