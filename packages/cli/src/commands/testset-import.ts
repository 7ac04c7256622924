import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseCommandArgs, UsageError, type Command } from '../command.ts'
import { byteProgress } from '../byte-progress.ts'
import { DirectPutError, uploadDirect } from '../direct-upload.ts'
import { packTarGz, testSetFiles, uploadMultipart } from '../testset-upload.ts'

const HELP = `usage: spider-bench testset import --challenge C --phase P DIR [--url URL] [--token T]

Uploads a SPIDER-layout folder (DIR/images/*.mha, DIR/masks/*.mha, optional
DIR/overview.csv) as the hidden test set of a phase, creating its next version. The
server validates every file and lists every problem. Where the server keeps its files in
an object store (S3), the archive goes there directly (a presigned upload) and the server
validates it from there; otherwise it is streamed to the server.

  --url URL     the server (default $SPIDER_URL or http://127.0.0.1:$PORT, PORT default 3000)
  --token T     an organiser's or admin's API token (default $SPIDER_TOKEN)`

interface ImportBody {
  version?: number
  count?: number
  error?: { message?: string; details?: { problems?: string[] } }
}

export const command: Command = {
  summary: 'upload a SPIDER-layout folder as the hidden test set of a phase',
  async run(argv) {
    const args = parseCommandArgs(
      argv,
      HELP,
      { challenge: { type: 'string' }, phase: { type: 'string' }, url: { type: 'string' }, token: { type: 'string' } },
      { positionals: true },
    )
    if (!args) return 0
    const { values, positionals } = args
    if (!values.challenge) throw new UsageError('--challenge is required')
    if (!values.phase) throw new UsageError('--phase is required')
    if (positionals.length !== 1)
      throw new UsageError(`expected one folder, got ${positionals.length === 0 ? 'none' : positionals.join(' ')}`)
    const dir = positionals[0]
    const token = values.token ?? process.env.SPIDER_TOKEN
    if (!token) throw new UsageError('an API token is needed: --token T or SPIDER_TOKEN')
    const base = (values.url ?? process.env.SPIDER_URL ?? `http://127.0.0.1:${process.env.PORT || 3000}`).replace(/\/+$/, '')
    try {
      if (!new URL(base).protocol.startsWith('http')) throw new Error()
    } catch {
      throw new UsageError(`--url must be an http(s) URL, got "${base}"`)
    }
    let files: string[]
    try {
      if (!(await stat(dir)).isDirectory()) throw new Error(`${dir}: not a folder`)
      files = await testSetFiles(dir)
    } catch (err) {
      throw new UsageError((err as Error).message.startsWith(dir) ? (err as Error).message : `${dir}: ${(err as Error).message}`)
    }
    const work = await mkdtemp(join(tmpdir(), 'spider-testset-'))
    try {
      const archive = join(work, 'testset.tar.gz')
      const packing = process.stderr.isTTY
        ? (done: number, total: number) => process.stderr.write(`\rpacking ${done}/${total} files`)
        : undefined
      await packTarGz(dir, files, archive, packing)
      if (packing) process.stderr.write('\n')
      const path = `/api/v1/challenges/${encodeURIComponent(values.challenge)}/phases/${encodeURIComponent(values.phase)}/test-set`
      const bar = byteProgress('uploading', (await stat(archive)).size)
      let result
      try {
        // Straight to the server's object store where it has one; else through the server.
        result = await uploadDirect(base, token, `${path}/uploads`, {}, archive, (sent) => bar.update(sent))
        if (result) console.error("sent the archive directly to the server's object store")
        else result = await uploadMultipart(`${base}${path}`, token, 'archive', archive, 'testset.tar.gz', (sent) => bar.update(sent))
      } catch (err) {
        if (err instanceof DirectPutError) throw new UsageError(`cannot upload the test set: ${err.message}`)
        throw new UsageError(`cannot reach ${base}: ${(err as Error).message}`)
      } finally {
        bar.end()
      }
      const body = result.body as ImportBody
      if (result.status === 200) {
        console.log(`imported test set version ${body.version} of ${values.challenge}/${values.phase}: ${body.count} series`)
        return 0
      }
      console.error(
        `spider-bench testset import: the server refused the test set (HTTP ${result.status}): ` +
          (body.error?.message ?? JSON.stringify(result.body)),
      )
      for (const p of body.error?.details?.problems ?? []) console.error(`  ${p}`)
      return 1
    } finally {
      await rm(work, { recursive: true, force: true })
    }
  },
}
