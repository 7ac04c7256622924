/**
 * Storage throughput on loopback: put (streamed from a file), stream back, and localFile (cold:
 * a download into the cache; warm: from the cache) of one object, for FileStorage and for
 * S3Storage against s3rver running in a process of its own. Prints one line per backend and
 * operation: MiB/s and the median time.
 *
 *   node bin/run-ts.js scripts/bench-storage.ts [--mib 100] [--runs 3]
 */
import { randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { FileStorage, type Storage } from '@spider-bench/storage'
import { S3Storage } from '@spider-bench/storage/s3'
import { S3RVER_CREDENTIALS } from '@spider-bench/storage/testing'
import { startS3rverProcess } from './lib/s3rver-process.ts'

const { values } = parseArgs({ options: { mib: { type: 'string', default: '100' }, runs: { type: 'string', default: '3' } } })
const MIB = 1024 * 1024
const size = Number(values.mib) * MIB
const runs = Number(values.runs)
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

const work = await mkdtemp(join(tmpdir(), 'bench-storage-'))
const source = join(work, 'source.bin')
await writeFile(source, randomBytes(size))

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now()
  await fn()
  return (performance.now() - t) / 1000
}

async function drain(storage: Storage, key: string): Promise<void> {
  let n = 0
  for await (const chunk of await storage.stream(key)) n += (chunk as Buffer).length
  if (n !== size) throw new Error(`streamed ${n} bytes, expected ${size}`)
}

async function bench(name: string, storage: Storage, evict: () => Promise<void>): Promise<void> {
  const results: Record<string, number[]> = { put: [], stream: [], 'localFile cold': [], 'localFile warm': [] }
  for (let i = 0; i < runs; i++) {
    const key = `bench/run-${i}/volume.bin`
    results.put.push(await time(() => storage.put(key, createReadStream(source))))
    results.stream.push(await time(() => drain(storage, key)))
    await evict()
    results['localFile cold'].push(await time(async () => (await storage.localFile(key)).release()))
    results['localFile warm'].push(await time(async () => (await storage.localFile(key)).release()))
    await storage.delete(key)
  }
  for (const [op, seconds] of Object.entries(results)) {
    const sorted = [...seconds].sort((a, b) => a - b)
    const median = sorted[Math.floor(sorted.length / 2)]
    const rate = median > 0.001 ? `${(size / MIB / median).toFixed(0).padStart(6)} MiB/s` : '     (no copy)'
    console.log(`${name.padEnd(10)} ${op.padEnd(15)} ${rate}  (median of ${runs}: ${(median * 1000).toFixed(1)} ms)`)
  }
}

try {
  console.log(`object: ${size / MIB} MiB, node ${process.version}`)
  await bench('file', new FileStorage(join(work, 'files')), async () => undefined)
  const s3rver = await startS3rverProcess(join(work, 's3rver'))
  const cacheDir = join(work, 'cache')
  const s3 = new S3Storage({
    bucket: 'bench',
    endpoint: s3rver.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: S3RVER_CREDENTIALS,
    cacheDir,
    cacheMaxBytes: 4 * size,
  })
  try {
    const evict = async () => {
      for (const name of await readdir(join(cacheDir, 'objects'))) await rm(join(cacheDir, 'objects', name))
    }
    await bench('s3/s3rver', s3, evict)
  } finally {
    s3.close()
    s3rver.stop()
  }
} finally {
  await rm(work, { recursive: true, force: true })
}
