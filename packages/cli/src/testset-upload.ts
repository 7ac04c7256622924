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
export async function packTarGz(dir: string, files: string[], target: string, onFile?: (done: number, total: number) => void): Promise<void> {
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
}

/**
 * PUTs `file` as the multipart field `field`, streaming from disk with a known length so
 * progress can be reported as bytes leave.
 */
export async function uploadMultipart(url: string, token: string | undefined, field: string, file: string, filename: string, onProgress?: (sent: number, total: number) => void, method = 'PUT'): Promise<UploadResult> {
  const boundary = `----spider-bench-${randomBytes(12).toString('hex')}`
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`)
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`)
  const size = (await stat(file)).size
  const total = head.length + size + tail.length
  const target = new URL(url)
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    const req = send(target, {
      method,
      headers: {
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': String(total),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
    })
    req.on('error', reject)
    req.on('response', (res) => {
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
        resolve({ status: res.statusCode ?? 0, body })
      })
      res.on('error', reject)
    })
    let sent = 0
    req.write(head)
    sent += head.length
    const source = createReadStream(file)
    source.on('data', (chunk) => {
      sent += chunk.length
      onProgress?.(sent, total)
    })
    source.on('error', (err) => req.destroy(err))
    source.on('end', () => {
      req.end(tail)
      onProgress?.(total, total)
    })
    source.pipe(req, { end: false })
  })
}
