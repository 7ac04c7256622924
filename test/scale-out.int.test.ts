/**
 * The split deployment on separate machines: `serve --api-only`, `worker` and
 * `worker --inference` as three processes with a DATA_DIR each, sharing only Postgres (a schema
 * of this test), Redis (a queue prefix of this test) and an S3-compatible object store (s3rver,
 * started here). Where the host allows it (root), each process runs in a mount namespace where the
 * others' folders are hidden, and each worker in a network namespace whose only link leads to
 * the three services (test/isolation.ts). The organiser imports the test set and a participant
 * submits predictions with the CLI, another participant an ONNX algorithm over REST: all of it
 * reaches the leaderboard. Afterwards each DATA_DIR holds only its own process's files: the
 * API's no image, model or archive; the workers' caches verified copies of objects in the bucket.
 */
import { spawnSync } from 'node:child_process'
import { createHash, randomUUID } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { Redis } from 'ioredis'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parsePostgresUrl } from '@spider-bench/db'
import { cachedExampleAlgorithm } from '@spider-bench/inference/testing'
import { S3Storage } from '@spider-bench/storage/s3'
import { S3RVER_CREDENTIALS, startS3Server, type TestS3Server } from '@spider-bench/storage/testing'
import { synthesize } from '@spider-bench/synth'
import { hidingFolders, NetworkNamespace, probeIsolation } from './isolation.ts'
import {
  createStoryPhase,
  expectStoryLeaderboard,
  finalSubmission,
  json,
  runCliToEnd,
  SERVING,
  startCli,
  upload,
  until,
  type CliProcess,
} from './single-machine.ts'

const isolation = await probeIsolation()
const mode = [isolation.mounts && 'private mounts', isolation.netns && 'network namespaces'].filter(Boolean).join(' and ') || 'no isolation'

const BASE_DATABASE_URL = process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/test'
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379'
const portOf = (url: string) => Number(new URL(url).port || (url.startsWith('redis') ? 6379 : 5432))

/** Every file under `dir`, relative, sorted. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort()
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256')
  await pipeline(createReadStream(file), hash)
  return hash.digest('hex')
}

describe('scale-out: API and two workers on separate machines sharing Postgres, Redis and an object store', () => {
  const id = randomUUID().replace(/-/g, '').slice(0, 12)
  const schema = `scale_${id}`
  const prefix = `test-scale-${id}`
  const databaseUrl = `${BASE_DATABASE_URL}${BASE_DATABASE_URL.includes('?') ? '&' : '?'}schema=${schema}`
  let root = ''
  let s3: TestS3Server | null = null
  let example: { modelPath: string; configPath: string }
  const processes: CliProcess[] = []
  const namespaces: NetworkNamespace[] = []

  beforeAll(async () => {
    example = await cachedExampleAlgorithm()
    root = await mkdtemp(join(tmpdir(), 'spider-scale-'))
    for (const dir of ['api', 'scoring', 'inference', 's3', 'client']) await mkdir(join(root, dir))
    s3 = await startS3Server({ directory: join(root, 's3') })
  }, 900_000)

  afterAll(async () => {
    for (const p of processes) await p.stop()
    for (const ns of namespaces) await ns.close()
    await s3?.stop()
    const client = new pg.Client({ connectionString: parsePostgresUrl(BASE_DATABASE_URL).connectionString })
    await client.connect()
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => client.end())
    const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 3 })
    await redis.connect()
    try {
      const keys = await redis.keys(`*${prefix}*`)
      if (keys.length > 0) await redis.del(...keys)
    } finally {
      redis.disconnect()
    }
    if (root) await rm(root, { recursive: true, force: true })
  })

  it(`every submission kind reaches the leaderboard; no process reads another's DATA_DIR (${mode})`, async () => {
    const server = s3 as TestS3Server
    const dirs = { api: join(root, 'api'), scoring: join(root, 'scoring'), inference: join(root, 'inference') }
    const client = join(root, 'client')
    const folders = [...Object.values(dirs), server.directory, client]
    /** The command prefix of the process that owns `own`: every other folder hidden, where the host allows. */
    const hideAllBut = (own: string) => (isolation.mounts ? hidingFolders(folders.filter((f) => f !== own)) : [])
    const shared = {
      ...process.env,
      SPIDER_QUEUE_PREFIX: prefix,
      DATABASE_URL: databaseUrl,
      REDIS_URL,
      ...server.env('spider'),
      // Each process keeps its own small cache.
      STORAGE_CACHE_MB: '256',
    }

    // The API: migrations, then the routes; no worker of any kind in it.
    const api = startCli(['serve', '--api-only'], { ...shared, DATA_DIR: dirs.api, PORT: '0' }, hideAllBut(dirs.api))
    processes.push(api)
    const url = (await api.waitFor(SERVING))[1]
    const apiUrl = `${url}/api/v1`

    // Each worker on its own "machine": its own DATA_DIR, and where possible its own network.
    const workers: Record<'scoring' | 'inference', CliProcess> = {} as never
    const wraps: Record<string, string[]> = { api: hideAllBut(dirs.api) }
    for (const [name, args] of [
      ['scoring', ['worker']],
      ['inference', ['worker', '--inference']],
    ] as const) {
      let env: NodeJS.ProcessEnv = { ...shared, DATA_DIR: dirs[name] }
      let wrap: string[] = []
      if (isolation.netns) {
        const ns = await NetworkNamespace.create(name.slice(0, 3), [portOf(databaseUrl), portOf(REDIS_URL), portOf(server.endpoint)])
        namespaces.push(ns)
        // Only the three services answer from there: not the host's loopback, not the API.
        expect(await ns.reaches(ns.hostIp, Number(ns.address(portOf(REDIS_URL)).split(':')[1]))).toBe(true)
        expect(await ns.reaches('127.0.0.1', portOf(REDIS_URL))).toBe(false)
        expect(await ns.reaches(ns.hostIp, portOf(url))).toBe(false)
        env = {
          ...env,
          DATABASE_URL: ns.url(databaseUrl),
          REDIS_URL: ns.url(REDIS_URL),
          STORAGE_URL: ns.url(decodeURIComponent(server.storageUrl('spider'))),
        }
        wrap = ns.prefix
      }
      workers[name] = startCli([...args], env, [...wrap, ...hideAllBut(dirs[name])])
      processes.push(workers[name])
      wraps[name] = [...wrap, ...hideAllBut(dirs[name])]
    }

    const admin = await runCliToEnd(['users', 'create', '--name', 'admin', '--role', 'admin'], { ...shared, DATA_DIR: client })
    expect(admin.code, admin.err).toBe(0)
    const adminToken = admin.out.trim().split('\n').at(-1) ?? ''
    await until('both workers to connect', async () => {
      const s = await json<{ workers: { scoring: { count: number }; inference: { count: number } } }>(`${apiUrl}/status`, adminToken)
      return s.body.workers.scoring.count >= 2 && s.body.workers.inference.count >= 1
    })
    const users = await createStoryPhase(apiUrl, adminToken)

    // The client's side: a synthetic study, its test set imported and predictions submitted with the CLI.
    const synthDir = join(client, 'spider-test')
    await synthesize({ out: synthDir, studies: 1, seed: 13, size: 'small', predictions: { mine: 'dilate:1,relabel' } })
    const cli = { ...process.env, XDG_CONFIG_HOME: client, SPIDER_BENCH_URL: url }
    const imported = await runCliToEnd(
      ['testset', 'import', '--challenge', 'spider', '--phase', 'test', '--url', url, '--token', users.org.token, synthDir],
      cli,
    )
    expect(imported.code, imported.err).toBe(0)
    expect(imported.out).toMatch(/imported test set version 1 of spider\/test: \d+ series/)
    // Not through the API process: straight to the bucket, then validated from there.
    expect(imported.err).toContain("sent the archive directly to the server's object store")

    // A refused upload reads as a streamed one's refusal: every problem listed, nothing kept.
    const bad = join(client, 'bad')
    await mkdir(bad)
    await writeFile(join(bad, '1_t1.mha'), 'not an image')
    const refused = await runCliToEnd(['submit', '--challenge', 'spider', '--phase', 'test', '--skip-checks', '--no-wait', bad], {
      ...cli,
      SPIDER_BENCH_TOKEN: users.alice.token,
    })
    expect(refused.code).toBe(1)
    expect(refused.err).toMatch(/^spider-bench submit: the server refused the upload: the predictions have 3 problems\n/)
    expect(refused.err).toContain('  - 1_t1.mha: cannot read image')

    const submitted = await runCliToEnd(
      ['submit', '--challenge', 'spider', '--phase', 'test', '--no-wait', '--json', join(synthDir, 'predictions', 'mine')],
      { ...cli, SPIDER_BENCH_TOKEN: users.alice.token },
    )
    expect(submitted.code, submitted.err).toBe(0)
    expect(submitted.err).toContain("sent the archive directly to the server's object store")
    const predictions = (JSON.parse(submitted.out) as { id: string }).id
    const model = await upload(
      `${apiUrl}/challenges/spider/phases/test/submissions`,
      users.bob.token,
      { kind: 'algorithm' },
      { model: example.modelPath, config: example.configPath },
    )
    expect(model.status, JSON.stringify(model.body)).toBe(202)

    for (const [who, sid] of [
      ['alice', predictions],
      ['bob', (model.body as { id: string }).id],
    ] as const) {
      const final = await finalSubmission(apiUrl, sid, users[who].token)
      expect(
        final,
        `${who}: ${final.error}\n${Object.values(workers)
          .map((w) => w.output())
          .join('\n')}`,
      ).toMatchObject({
        status: 'succeeded',
      })
    }
    await expectStoryLeaderboard(apiUrl)

    for (const p of [...Object.values(workers), api]) expect(await p.stop(), p.output()).toBe(0)

    // What is in the bucket: every object with its recorded SHA-256.
    const bucket = new S3Storage({
      bucket: server.bucket,
      prefix: 'spider',
      endpoint: server.endpoint,
      forcePathStyle: true,
      credentials: S3RVER_CREDENTIALS,
      cacheDir: join(root, 'verify-cache'),
      cacheMaxBytes: 0,
    })
    const stored = new Map<string, string>()
    for (const top of ['testsets', 'submissions']) {
      for (const key of await bucket.list(top)) {
        stored.set(
          createHash('sha256')
            .update(await bucket.get(key))
            .digest('hex'),
          key,
        )
      }
    }
    // The direct uploads' archives were removed once validated.
    expect(await bucket.list('uploads')).toEqual([])
    bucket.close()
    const keys = [...stored.values()]
    expect(keys.some((k) => /^testsets\/.+\/masks\/.+\.mha$/.test(k))).toBe(true)
    expect(keys.some((k) => /^submissions\/.+\/predictions\/.+\.mha$/.test(k))).toBe(true)
    expect(keys.some((k) => /^submissions\/.+\/model\.onnx$/.test(k))).toBe(true)

    // The API's DATA_DIR: no stored file, nothing received left behind, no image, model or archive.
    const apiFiles = await filesUnder(dirs.api)
    expect(apiFiles.filter((f) => /^(storage|objects)\//.test(f) || /\.(mha|nii|nii\.gz|onnx|zip|tar\.gz)$/.test(f))).toEqual([])
    expect(apiFiles.filter((f) => f.startsWith('tmp/'))).toEqual([])
    // The workers': no file store, only their cache, whose entries are verified copies of stored objects.
    const cached: Record<string, string[]> = {}
    for (const name of ['scoring', 'inference'] as const) {
      const files = await filesUnder(dirs[name])
      expect(
        files.filter((f) => !f.startsWith('cache/')),
        `${name}: ${files.join(', ')}`,
      ).toEqual([])
      cached[name] = []
      for (const f of files.filter((f) => f.startsWith('cache/objects/'))) {
        const sha = await sha256Of(join(dirs[name], f))
        expect(f).toBe(`cache/objects/${sha}`)
        expect(stored.has(sha), `${name} cached ${f}, which is no object in the bucket`).toBe(true)
        cached[name].push(stored.get(sha) as string)
      }
    }
    // The inference worker got the model and the images from the bucket; the masks were read by
    // whichever worker scored a series, so both caches together hold every one.
    expect(cached.inference.some((k) => k.endsWith('/model.onnx'))).toBe(true)
    const masks = keys.filter((k) => /^testsets\/.+\/masks\//.test(k))
    const images = keys.filter((k) => /^testsets\/.+\/images\//.test(k))
    expect(images.every((k) => cached.inference.includes(k))).toBe(true)
    expect(masks.every((k) => cached.scoring.includes(k) || cached.inference.includes(k))).toBe(true)
    // What each process saw of the object store's folder (full of objects now): nothing, where the host allows hiding.
    if (isolation.mounts) {
      for (const [name, wrap] of Object.entries(wraps)) {
        const seen = spawnSync(wrap[0], [...wrap.slice(1), 'sh', '-c', `ls -A '${server.directory}'; touch '${server.directory}/x'`])
        expect(seen.stdout.toString(), name).toBe('')
        expect(seen.stderr.toString(), name).toMatch(/Read-only file system/)
      }
      expect((await readdir(server.directory)).length).toBeGreaterThan(0)
    }
    // Private when running as root (model processes run as nobody).
    if (process.getuid?.() === 0) for (const dir of Object.values(dirs)) expect((await stat(dir)).mode & 0o777).toBe(0o700)
  }, 900_000)
})
