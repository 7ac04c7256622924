import { createReadStream, createWriteStream } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { pipeline } from 'node:stream/promises'
import { createGzip } from 'node:zlib'
import tar from 'tar-stream'

/** The files of a SPIDER-layout folder that belong in a test-set archive. */
export async function testSetFiles(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const sub of ['images', 'masks']) {
    let entries
    try {
      entries = await readdir(join(dir, sub), { withFileTypes: true })
    } catch {
      throw new Error(`${join(dir, sub)}: folder not found (expected ${dir}/images/ and ${dir}/masks/)`)
    }
    for (const e of entries) if (e.isFile() && !e.name.startsWith('.')) out.push(`${sub}/${e.name}`)
  }
  try {
    if ((await stat(join(dir, 'overview.csv'))).isFile()) out.push('overview.csv')
  } catch {
    // overview.csv is optional
  }
  return out.sort()
}

/** Streams the listed files of `dir` into a .tar.gz at `target`. */
export async function packTarGz(
  dir: string,
  files: string[],
  target: string,
  onFile?: (done: number, total: number) => void,
): Promise<void> {
  const pack = tar.pack()
  const written = pipeline(pack, createGzip({ level: 1 }), createWriteStream(target))
  for (const [i, rel] of files.entries()) {
    const info = await stat(join(dir, rel))
    await new Promise<void>((resolve, reject) => {
      const entry = pack.entry({ name: rel, size: info.size, mode: 0o644, mtime: info.mtime }, (err) => (err ? reject(err) : resolve()))
      const source = createReadStream(join(dir, rel))
      source.on('error', reject)
      source.pipe(entry)
    })
    onFile?.(i + 1, files.length)
  }
  pack.finalize()
  await written
}

export interface UploadResult {
  readonly status: number
  readonly body: unknown
  readonly headers: Record<string, string | undefined>
}

/** A multipart part: a text field, or a file streamed from disk under `filename`. */
export type UploadPart =
  { readonly name: string; readonly value: string } | { readonly name: string; readonly file: string; readonly filename: string }

const quoted = (s: string) => s.replace(/["\r\n\\]/g, '_')

/**
 * PUTs `file` as the multipart field `field`, streaming from disk with a known length so
 * progress can be reported as bytes leave.
 */
export async function uploadMultipart(
  url: string,
  token: string | undefined,
  field: string,
  file: string,
  filename: string,
  onProgress?: (sent: number, total: number) => void,
  method = 'PUT',
): Promise<UploadResult> {
  return uploadParts(url, token, [{ name: field, file, filename }], onProgress, method)
}

/**
 * Sends text fields and files as one multipart request with a known length, streaming the
 * files from disk and reporting bytes as they leave. An answer that comes before the body is
 * sent (a refusal) stops the sending; network errors reject (with their system code).
 */
export async function uploadParts(
  url: string,
  token: string | undefined,
  parts: UploadPart[],
  onProgress?: (sent: number, total: number) => void,
  method = 'POST',
): Promise<UploadResult> {
  const boundary = `----spider-bench-${randomBytes(12).toString('hex')}`
  const segments: Array<Buffer | { file: string; size: number }> = []
  for (const part of parts) {
    if ('value' in part) {
      segments.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${quoted(part.name)}"\r\n\r\n${part.value}\r\n`))
    } else {
      segments.push(
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${quoted(part.name)}"; filename="${quoted(part.filename)}"\r\n` +
            'Content-Type: application/octet-stream\r\n\r\n',
        ),
      )
      segments.push({ file: part.file, size: (await stat(part.file)).size })
      segments.push(Buffer.from('\r\n'))
    }
  }
  segments.push(Buffer.from(`--${boundary}--\r\n`))
  const total = segments.reduce((n, s) => n + (Buffer.isBuffer(s) ? s.length : s.size), 0)
  const target = new URL(url)
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    let answered = false
    let source: ReturnType<typeof createReadStream> | null = null
    const req = send(target, {
      method,
      headers: {
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': String(total),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
    })
    // Once answered, an error of the unsent rest (the server closing the socket) does not matter.
    req.on('error', (err) => {
      if (!answered) reject(err)
    })
    req.on('response', (res) => {
      answered = true
      source?.destroy()
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let body: unknown = text
        try {
          body = JSON.parse(text)
        } catch {
          // not JSON: keep the text
        }
        const headers: Record<string, string | undefined> = {}
        for (const [k, v] of Object.entries(res.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v
        resolve({ status: res.statusCode ?? 0, body, headers })
        req.destroy()
      })
      res.on('error', reject)
    })
    let sent = 0
    const next = (i: number): void => {
      if (answered) return
      if (i === segments.length) {
        req.end()
        onProgress?.(total, total)
        return
      }
      const segment = segments[i]
      if (Buffer.isBuffer(segment)) {
        sent += segment.length
        req.write(segment)
        next(i + 1)
        return
      }
      source = createReadStream(segment.file)
      source.on('data', (chunk) => {
        sent += chunk.length
        onProgress?.(sent, total)
      })
      source.on('error', (err) => {
        // A local file problem, not a network one (no system code: never retried as a lost connection).
        answered = true
        reject(new Error(`cannot read ${segment.file}: ${err.message}`))
        req.destroy()
      })
      source.on('end', () => next(i + 1))
      source.pipe(req, { end: false })
    }
    next(0)
  })
}
