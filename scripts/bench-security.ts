/**
 * `npm run bench:security`: every abusive input of SECURITY.md against one real
 * `spider-bench serve --api-only` process (embedded database; submissions stay queued), one
 * attack at a time. For each it prints the server's answer, the growth of the resident
 * memory of the server's process tree (sampled every 10 ms from /proc, children included:
 * model processes and validator threads count) over its level just before the attack, and
 * the worst `/healthz` latency seen by a client polling it back to back during the attack.
 * Targets: growth under 512 MB, worst /healthz under 200 ms.
 *
 * The hidden test set is one series of 17×214×214 voxels (the size of the label bomb in
 * the threat model), generated here; nothing is downloaded or committed.
 * Attacks: nifti-bomb, mha-bomb, label-bomb, zip-bombs, concurrent-uploads, external-data,
 * model-flood, auth-flood, trickle, event-streams.
 * Options: --only NAME[,NAME] to run some attacks, --streams N (default 1000).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { join, relative, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { loadavg } from 'node:os'
import { writeImage, type Image3D } from '@spider-bench/scoring'
import { writeTarGz, writeZip } from '../apps/api/src/testing/archives.ts'
import { mhaInflateBomb, niftiHeaderBomb, labelBombMask, SERIES_SIZE } from '../test/security/attacks.ts'
import { EXTERNAL_ATTACK_CONFIG, externalDataAttackModel, slowModel } from '@spider-bench/inference/testing'
import { freePort } from '../packages/cli/src/free-port.ts'

const { values } = parseArgs({ options: { only: { type: 'string' }, streams: { type: 'string', default: '1000' } }, strict: true })
const ONLY = values.only ? new Set(values.only.split(',')) : null
const STREAMS = Number(values.streams)
const BIN = resolve('bin/spider-bench.js')
const SERIES = '1_t1'
const MB = 1024 * 1024

const work = resolve(`bench-out/security-run-${Date.now()}`)
await mkdir(work, { recursive: true })
const port = await freePort()
const url = `http://127.0.0.1:${port}`
const env: NodeJS.ProcessEnv = {
  ...process.env,
  DATA_DIR: join(work, 'data'),
  PORT: String(port),
  HOST: '127.0.0.1',
  SPIDER_QUEUE_PREFIX: `bench-sec-${randomUUID()}`,
  LOG_LEVEL: 'warn',
}
delete env.DATABASE_URL
const log = (msg: string) => process.stderr.write(`${msg}\n`)

function run(args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] })
    let stdout = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.on('error', fail)
    child.on('exit', (code) => ok({ code: code ?? -1, stdout }))
  })
}

async function token(name: string, role: string): Promise<string> {
  const r = await run(['users', 'create', '--name', name, '--role', role])
  if (r.code !== 0) throw new Error(`users create ${name} failed (exit ${r.code})`)
  return r.stdout.trim().split('\n').at(-1) as string
}

/** The pids of every descendant of `pid`. */
async function descendants(pid: number): Promise<number[]> {
  const out: number[] = []
  const queue = [pid]
  while (queue.length > 0) {
    const p = queue.pop() as number
    for (const task of await readdir(`/proc/${p}/task`).catch(() => [] as string[])) {
      const children = await readFile(`/proc/${p}/task/${task}/children`, 'utf8').catch(() => '')
      for (const c of children.trim().split(/\s+/).filter(Boolean)) {
        out.push(Number(c))
        queue.push(Number(c))
      }
    }
  }
  return out
}

/** Resident memory of a process and all its descendants, bytes (0 once it is gone). */
async function treeRss(pid: number): Promise<number> {
  let total = 0
  for (const c of [pid, ...(await descendants(pid))]) {
    const status = await readFile(`/proc/${c}/status`, 'utf8').catch(() => '')
    const m = /VmRSS:\s+(\d+) kB/.exec(status)
    if (m) total += Number(m[1]) * 1024
  }
  return total
}

/** Samples memory and /healthz while `attack` runs, then for `settleMs` after it. */
async function measure<T>(
  pid: number,
  attack: () => Promise<T>,
  settleMs = 500,
): Promise<{ result: T; rssGrowthMb: number; worstHealthzMs: number; healthzFailures: number; seconds: number }> {
  const base = await treeRss(pid)
  let peak = base
  let worst = 0
  let failures = 0
  let stop = false
  const sampler = (async () => {
    while (!stop) {
      peak = Math.max(peak, await treeRss(pid))
      await sleep(10)
    }
  })()
  const poller = (async () => {
    while (!stop) {
      const t0 = performance.now()
      const ok = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(30_000) }).then(
        (r) => r.ok,
        () => false,
      )
      worst = Math.max(worst, performance.now() - t0)
      if (!ok) failures++
      await sleep(10)
    }
  })()
  const t0 = performance.now()
  const result = await attack()
  const seconds = (performance.now() - t0) / 1000
  await sleep(settleMs)
  stop = true
  await Promise.all([sampler, poller])
  return {
    result,
    rssGrowthMb: +((peak - base) / MB).toFixed(1),
    worstHealthzMs: +worst.toFixed(1),
    healthzFailures: failures,
    seconds: +seconds.toFixed(2),
  }
}

async function api(method: string, path: string, tok: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`)
  return res.json()
}

/** POSTs a multipart form; returns the status and the first 200 characters of the answer. */
async function post(
  path: string,
  tok: string,
  fields: Record<string, string>,
  files: Record<string, string>,
): Promise<{ status: number; answer: string }> {
  const form = new FormData()
  for (const [k, v] of Object.entries(fields)) form.append(k, v)
  for (const [k, file] of Object.entries(files)) form.append(k, new Blob([await readFile(file)]), file.slice(file.lastIndexOf('/') + 1))
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${tok}` }, body: form })
  const text = await res.text()
  return { status: res.status, answer: text.slice(0, 200) }
}

const SUBMIT = '/api/v1/challenges/sec/phases/final/submissions'
const results: Record<string, unknown> = {}
let server: ChildProcess | null = null
try {
  const organiser = await token('organiser', 'organiser')
  // One at a time: the embedded database belongs to one process.
  const participants: string[] = []
  for (let i = 1; i <= 8; i++) participants.push(await token(`p${i}`, 'participant'))
  const admin = await token('admin', 'admin')

  // The hidden test set: one realistic-size series with a handful of structures.
  const [nx, ny, nz] = SERIES_SIZE
  const mask = new Uint8Array(nx * ny * nz)
  for (let z = 20; z < nz - 20; z++)
    for (let y = 20; y < ny - 20; y++)
      for (let x = 4; x < nx - 4; x++) mask[x + nx * (y + ny * z)] = z < nz / 3 ? 1 : z < (2 * nz) / 3 ? 201 : 2
  const image: Image3D = {
    size: SERIES_SIZE,
    spacing: [3.3, 0.9, 0.9],
    origin: [0, 0, 0],
    direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    componentType: 'int16',
    data: Int16Array.from(mask, (v) => v * 3),
  }
  await mkdir(join(work, 'set', 'images'), { recursive: true })
  await mkdir(join(work, 'set', 'masks'), { recursive: true })
  await writeImage(image, join(work, 'set', 'images', `${SERIES}.mha`), { compress: true })
  await writeImage({ ...image, componentType: 'uint8', data: mask }, join(work, 'set', 'masks', `${SERIES}.mha`), { compress: true })

  // API only: every submission stays queued, so event streams stay open and nothing is
  // scored; every attack here targets the API process (uploads, validation, streams, auth).
  server = spawn(process.execPath, [BIN, 'serve', '--api-only'], {
    env: { ...env, MAX_EVENT_STREAMS_PER_USER: String(STREAMS), MAX_EVENT_STREAMS: String(STREAMS) },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  for (let i = 0; ; i++) {
    if (i > 600) throw new Error('serve did not become ready within 60 s')
    if (server.exitCode !== null) throw new Error(`serve exited with code ${server.exitCode} before it was ready`)
    if (
      await fetch(`${url}/readyz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break
    await sleep(100)
  }
  const pid = server.pid as number
  await api('POST', '/api/v1/challenges', organiser, { slug: 'sec', title: 'Security bench' })
  await api('POST', '/api/v1/challenges/sec/phases', organiser, {
    slug: 'final',
    title: 'Final',
    scoringProfile: 'spider',
    submissionKinds: ['predictions', 'algorithm'],
    ranking: { method: 'mean-position', metrics: [{ key: 'DiceVertebrae', order: 'desc' }] },
    entries: 'best',
    perSeriesVisibility: 'organisers',
  })
  const imported = await run([
    'testset',
    'import',
    '--challenge',
    'sec',
    '--phase',
    'final',
    join(work, 'set'),
    '--url',
    url,
    '--token',
    organiser,
  ])
  if (imported.code !== 0) throw new Error(`testset import failed (exit ${imported.code})`)

  const want = (name: string) => !ONLY || ONLY.has(name)
  const report = (name: string, r: unknown) => {
    results[name] = r
    log(`${name}: ${JSON.stringify(r)}`)
  }
  let who = 0
  const nextParticipant = () => participants[who++ % participants.length]

  if (want('nifti-bomb')) {
    const archive = join(work, 'nifti-bomb.tar.gz')
    await writeTarGz(archive, [{ name: `${SERIES}.nii.gz`, data: niftiHeaderBomb([2000, 2000, 2000]) }])
    report('nifti-bomb', {
      archiveBytes: (await readFile(archive)).length,
      ...(await measure(pid, () => post(SUBMIT, nextParticipant(), { kind: 'predictions' }, { predictions: archive }))),
    })
  }
  if (want('mha-bomb')) {
    const archive = join(work, 'mha-bomb.tar.gz')
    await writeTarGz(archive, [{ name: `${SERIES}.mha`, data: await mhaInflateBomb(1024 ** 3) }])
    report('mha-bomb', {
      archiveBytes: (await readFile(archive)).length,
      ...(await measure(pid, () => post(SUBMIT, nextParticipant(), { kind: 'predictions' }, { predictions: archive }))),
    })
  }
  if (want('label-bomb')) {
    const archive = join(work, 'label-bomb.tar.gz')
    const file = join(work, `${SERIES}.mha`)
    await writeImage(labelBombMask(SERIES_SIZE, 65_535), file, { compress: true })
    await writeTarGz(archive, [{ name: `${SERIES}.mha`, data: await readFile(file) }])
    report('label-bomb', {
      archiveBytes: (await readFile(archive)).length,
      ...(await measure(pid, () => post(SUBMIT, nextParticipant(), { kind: 'predictions' }, { predictions: archive }))),
    })
  }
  if (want('zip-bombs')) {
    // Two archives of 2 GiB of zeros each (about 2 MB compressed), sent at once by two participants.
    const zeros = Buffer.alloc(64 * MB)
    const entries = Array.from({ length: 32 }, (_, i) => ({ name: `pad${i}.mha`, data: zeros }))
    const archive = join(work, 'zip-bomb.zip')
    await writeZip(archive, [{ name: `${SERIES}.mha`, data: zeros }, ...entries])
    const tmp = join(work, 'data', 'tmp')
    let tmpPeak = 0
    let stop = false
    const watcher = (async () => {
      while (!stop) {
        tmpPeak = Math.max(tmpPeak, await duBytes(tmp))
        await sleep(50)
      }
    })()
    const r = await measure(pid, () =>
      Promise.all([
        post(SUBMIT, nextParticipant(), { kind: 'predictions' }, { predictions: archive }),
        post(SUBMIT, nextParticipant(), { kind: 'predictions' }, { predictions: archive }),
      ]),
    )
    stop = true
    await watcher
    report('zip-bombs', { archiveBytes: (await readFile(archive)).length, peakTmpMb: +(tmpPeak / MB).toFixed(1), ...r })
  }
  if (want('concurrent-uploads')) {
    // One participant, two uploads at once: one is received, the other refused (409).
    const archive = join(work, 'slow.tar.gz')
    await writeTarGz(archive, [{ name: `${SERIES}.mha`, data: await readFile(join(work, 'set', 'masks', `${SERIES}.mha`)) }])
    const p = nextParticipant()
    const r = await measure(pid, () =>
      Promise.all([
        post(SUBMIT, p, { kind: 'predictions' }, { predictions: archive }),
        post(SUBMIT, p, { kind: 'predictions' }, { predictions: archive }),
      ]),
    )
    report('concurrent-uploads', { ...r, result: r.result.map((x) => x.status) })
  }
  if (want('external-data')) {
    // A model whose initializer onnxruntime would read from the stored hidden mask (a path
    // relative to the server's working directory, which is this repository).
    const masks = await readdir(join(work, 'data', 'storage'), { recursive: true }).then((all) =>
      all.filter((f) => f.endsWith(`masks/${SERIES}.mha`)),
    )
    const location = relative(process.cwd(), join(work, 'data', 'storage', masks[0] ?? 'missing'))
    const model = join(work, 'attack.onnx')
    const config = join(work, 'attack.json')
    await writeFile(model, externalDataAttackModel('initializer', location, 64))
    await writeFile(config, JSON.stringify(EXTERNAL_ATTACK_CONFIG))
    const r = await measure(pid, () => post(SUBMIT, nextParticipant(), { kind: 'algorithm' }, { model, config }))
    report('external-data', { ...r, result: { status: r.result.status, answer: r.result.answer.slice(0, 160) } })
  }
  if (want('model-flood')) {
    // Three participants upload a model that never finishes its validation patch: two model
    // processes start (MAX_CONCURRENT_MODEL_VALIDATIONS), the third is told to come back.
    const model = join(work, 'hanging.onnx')
    const config = join(work, 'hanging.json')
    await writeFile(model, slowModel(24))
    await writeFile(
      config,
      JSON.stringify({ ...EXTERNAL_ATTACK_CONFIG, slidingWindow: { ...EXTERNAL_ATTACK_CONFIG.slidingWindow, patchSize: [96, 96, 96] } }),
    )
    const r = await measure(pid, async () => {
      const uploads = [0, 1, 2].map(() => post(SUBMIT, nextParticipant(), { kind: 'algorithm' }, { model, config }))
      const first = await Promise.race(uploads)
      await sleep(10_000) // the two validations run on
      const modelProcesses = await descendants(pid)
      for (const p of modelProcesses) process.kill(p, 'SIGKILL')
      const all = await Promise.all(uploads)
      return { firstAnswer: first.status, statuses: all.map((x) => x.status), modelProcessesSeen: modelProcesses.length }
    })
    report('model-flood', r)
  }
  if (want('auth-flood')) {
    const r = await measure(pid, async () => {
      const statuses: Record<number, number> = {}
      for (let i = 0; i < 50; i++) {
        const batch = await Promise.all(
          Array.from({ length: 20 }, () =>
            fetch(`${url}/api/v1/challenges`, { headers: { authorization: `Bearer sb_${randomUUID().replace(/-/g, '')}` } }).then(
              (x) => x.status,
            ),
          ),
        )
        for (const s of batch) statuses[s] = (statuses[s] ?? 0) + 1
      }
      const adminAfter = await fetch(`${url}/api/v1/challenges`, { headers: { authorization: `Bearer ${admin}` } }).then((x) => x.status)
      return { badTokenStatuses: statuses, adminTokenAfter: adminAfter }
    })
    report('auth-flood', r)
  }
  if (want('trickle')) {
    // Headers of a 10 MB multipart upload, then one byte a second.
    const r = await measure(pid, () => trickle(participants[0]), 100)
    report('trickle', r)
  }
  if (want('event-streams')) {
    const archive = join(work, 'good.tar.gz')
    await writeTarGz(archive, [{ name: `${SERIES}.mha`, data: await readFile(join(work, 'set', 'masks', `${SERIES}.mha`)) }])
    const p = participants[7]
    const sub = await post(SUBMIT, p, { kind: 'predictions' }, { predictions: archive })
    if (sub.status !== 202) throw new Error(`good upload: ${sub.status} ${sub.answer}`)
    const { id } = JSON.parse(sub.answer) as { id: string }
    const r = await measure(pid, async () => {
      const controllers: AbortController[] = []
      const statuses: Record<string, number> = {}
      await Promise.all(
        Array.from({ length: STREAMS }, async () => {
          const c = new AbortController()
          controllers.push(c)
          const s = await fetch(`${url}/api/v1/submissions/${id}/events`, {
            headers: { authorization: `Bearer ${p}` },
            signal: c.signal,
          }).then(
            (x) => String(x.status),
            (e: Error) => e.name,
          )
          statuses[s] = (statuses[s] ?? 0) + 1
        }),
      )
      await sleep(3000) // the open streams, watched by the poller
      for (const c of controllers) c.abort()
      return { streamStatuses: statuses }
    })
    report('event-streams', r)
  }

  const summary = { ...results, loadAverage1m: +loadavg()[0].toFixed(2) }
  console.log(JSON.stringify(summary, null, 2))
  await writeFile(join(work, 'result.json'), JSON.stringify(summary, null, 2))
} finally {
  if (server && server.exitCode === null) {
    server.kill('SIGTERM')
    await new Promise((r) => server?.once('exit', r))
  }
  await rm(join(work, 'data'), { recursive: true, force: true })
}

/** A raw-socket upload that sends its headers and then one byte a second until the server hangs up. */
function trickle(tok: string): Promise<{ cutAfterSeconds: number; answer: string }> {
  return new Promise((ok) => {
    const t0 = performance.now()
    const socket = connect(port, '127.0.0.1')
    let answer = ''
    let timer: NodeJS.Timeout | undefined
    const boundary = 'trickle'
    socket.on('connect', () => {
      socket.write(
        `POST ${SUBMIT} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${tok}\r\n` +
          `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${10 * MB}\r\n\r\n` +
          `--${boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\npredictions\r\n` +
          `--${boundary}\r\nContent-Disposition: form-data; name="predictions"; filename="p.tar.gz"\r\n` +
          'Content-Type: application/octet-stream\r\n\r\n',
      )
      timer = setInterval(() => socket.write('x'), 1000)
    })
    socket.on('data', (d: Buffer) => (answer += d.toString()))
    const done = () => {
      clearInterval(timer)
      ok({ cutAfterSeconds: +((performance.now() - t0) / 1000).toFixed(1), answer: answer.split('\r\n')[0] ?? '' })
    }
    socket.on('close', done)
    socket.on('error', () => undefined)
    // A bench must end: give up after 5 minutes (the answer then says so).
    setTimeout(() => socket.destroy(), 300_000).unref()
  })
}

async function duBytes(dir: string): Promise<number> {
  let total = 0
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])
  for (const e of entries) {
    if (!e.isFile()) continue
    const st = await stat(join(e.parentPath, e.name)).catch(() => null)
    if (st) total += st.size
  }
  return total
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}
