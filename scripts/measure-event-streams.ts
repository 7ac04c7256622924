/**
 * `node bin/run-ts.js scripts/measure-event-streams.ts [--root DIR] [--streams N] [--seconds S]`:
 * one `spider-bench serve --api-only` process (embedded database, no worker, so the submission
 * stays queued and every stream stays open) from the repository at --root (default: this one),
 * one queued submission, then N event streams on it held for S seconds. Prints the /healthz
 * latency (polled back to back) with no stream and with the N streams open, the server's CPU
 * use in both periods, and the streams' statuses. MAX_EVENT_STREAMS_PER_USER and
 * MAX_EVENT_STREAMS are raised to N so that every stream is admitted.
 * Exported for bench:security: `measureEventStreams({ url, pid, token, submissionId, streams, seconds })`.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { readFile, mkdir, rm } from 'node:fs/promises'
import { Agent, get } from 'node:http'
import { loadavg } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { writeZip } from '../apps/api/src/testing/archives.ts'
import { mhaBytes } from '../apps/api/src/testing/images.ts'
import { freePort } from '../packages/cli/src/free-port.ts'

export interface EventStreamFigures {
  readonly streams: number
  /** Status (or error name) of each stream's response → count. */
  readonly statuses: Record<string, number>
  readonly healthz: { samples: number; p50Ms: number; p99Ms: number; worstMs: number }
  /** Server CPU time over the period, as a share of one core. */
  readonly serverCpu: number
}

const ticksPerSecond = 100
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond
}

async function healthzFor(url: string, ms: number): Promise<EventStreamFigures['healthz']> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  const times: number[] = []
  const end = performance.now() + ms
  try {
    while (performance.now() < end) {
      const t0 = performance.now()
      await new Promise<void>((ok, fail) => {
        const req = get(`${url}/healthz`, { agent }, (res) => {
          res.resume()
          res.on('end', () => ok())
        })
        req.on('error', fail)
      })
      times.push(performance.now() - t0)
    }
  } finally {
    agent.destroy()
  }
  times.sort((a, b) => a - b)
  const at = (q: number) => +(times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0).toFixed(2)
  return { samples: times.length, p50Ms: at(0.5), p99Ms: at(0.99), worstMs: +(times.at(-1) ?? 0).toFixed(2) }
}

/** N streams on one submission held for `seconds`, with /healthz latency and server CPU over that time. */
export async function measureEventStreams(o: {
  url: string
  pid: number
  token: string
  submissionId: string
  streams: number
  seconds: number
}): Promise<EventStreamFigures> {
  const controllers: AbortController[] = []
  const statuses: Record<string, number> = {}
  await Promise.all(
    Array.from({ length: o.streams }, async () => {
      const c = new AbortController()
      controllers.push(c)
      const status = await fetch(`${o.url}/api/v1/submissions/${o.submissionId}/events`, {
        headers: { authorization: `Bearer ${o.token}` },
        signal: c.signal,
      }).then(
        (res) => {
          if (res.status === 200) (res.body as ReadableStream<Uint8Array>).pipeTo(new WritableStream()).catch(() => undefined)
          else void res.body?.cancel()
          return String(res.status)
        },
        (e: Error) => e.name,
      )
      statuses[status] = (statuses[status] ?? 0) + 1
    }),
  )
  const cpu0 = await cpuSeconds(o.pid)
  const t0 = performance.now()
  const healthz = await healthzFor(o.url, o.seconds * 1000)
  const serverCpu = +((await cpuSeconds(o.pid)) - cpu0) / ((performance.now() - t0) / 1000)
  for (const c of controllers) c.abort()
  return { streams: o.streams, statuses, healthz, serverCpu: +serverCpu.toFixed(3) }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      root: { type: 'string', default: '.' },
      streams: { type: 'string', default: '1000' },
      seconds: { type: 'string', default: '5' },
    },
    strict: true,
  })
  const root = resolve(values.root)
  const streams = Number(values.streams)
  const seconds = Number(values.seconds)
  const bin = join(root, 'bin/spider-bench.js')
  const work = resolve(`bench-out/event-streams-${Date.now()}`)
  await mkdir(work, { recursive: true })
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: join(work, 'data'),
    PORT: String(port),
    HOST: '127.0.0.1',
    SPIDER_QUEUE_PREFIX: `bench-streams-${randomUUID()}`,
    MAX_EVENT_STREAMS_PER_USER: String(streams),
    MAX_EVENT_STREAMS: String(streams),
    LOG_LEVEL: 'warn',
  }
  delete env.DATABASE_URL
  const cli = (args: string[]) =>
    new Promise<string>((ok, fail) => {
      const child = spawn(process.execPath, [bin, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] })
      let out = ''
      child.stdout.on('data', (c: Buffer) => (out += c.toString()))
      child.on('exit', (code) =>
        code === 0 ? ok(out.trim().split('\n').at(-1) as string) : fail(new Error(`${args.join(' ')}: exit ${code}`)),
      )
    })
  const organiser = await cli(['users', 'create', '--name', 'org', '--role', 'organiser'])
  const participant = await cli(['users', 'create', '--name', 'p', '--role', 'participant'])
  let server: ChildProcess | null = spawn(process.execPath, [bin, 'serve', '--api-only'], {
    cwd: root,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  try {
    for (
      let i = 0;
      !(await fetch(`${url}/readyz`).then(
        (r) => r.ok,
        () => false,
      ));
      i++
    ) {
      if (i > 600) throw new Error('serve did not become ready within 60 s')
      await new Promise((r) => setTimeout(r, 100))
    }
    const call = async (token: string, method: string, path: string, body: unknown) => {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body instanceof FormData ? {} : { 'content-type': 'application/json' }) },
        body: body instanceof FormData ? body : JSON.stringify(body),
      })
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`)
      return res.json() as Promise<Record<string, unknown>>
    }
    await call(organiser, 'POST', '/api/v1/challenges', { slug: 'spine', title: 'Spine' })
    await call(organiser, 'POST', '/api/v1/challenges/spine/phases', {
      slug: 'final',
      title: 'Final',
      scoringProfile: 'spider',
      submissionKinds: ['predictions'],
      ranking: { method: 'mean-position', metrics: [{ key: 'DiceVertebrae', order: 'desc' }] },
      entries: 'best',
      perSeriesVisibility: 'owner',
    })
    const mask = await mhaBytes('mask')
    const zip = async (entries: Array<{ name: string; data: Buffer }>) => {
      const file = join(work, `${randomUUID()}.zip`)
      await writeZip(file, entries)
      return new Blob([await readFile(file)])
    }
    const set = new FormData()
    set.append(
      'archive',
      await zip([
        { name: 'images/1_t1.mha', data: await mhaBytes('image') },
        { name: 'masks/1_t1.mha', data: mask },
      ]),
      'set.zip',
    )
    await call(organiser, 'PUT', '/api/v1/challenges/spine/phases/final/test-set', set)
    const form = new FormData()
    form.append('kind', 'predictions')
    form.append('predictions', await zip([{ name: '1_t1.mha', data: mask }]), 'p.zip')
    const { id } = (await call(participant, 'POST', '/api/v1/challenges/spine/phases/final/submissions', form)) as { id: string }
    const pid = server.pid as number

    const cpu0 = await cpuSeconds(pid)
    const t0 = performance.now()
    const idle = await healthzFor(url, seconds * 1000)
    const idleCpu = +(((await cpuSeconds(pid)) - cpu0) / ((performance.now() - t0) / 1000)).toFixed(3)
    const loaded = await measureEventStreams({ url, pid, token: participant, submissionId: id, streams, seconds })
    console.log(
      JSON.stringify(
        { root, noStreams: { healthz: idle, serverCpu: idleCpu }, withStreams: loaded, loadAverage1m: +loadavg()[0].toFixed(2) },
        null,
        2,
      ),
    )
  } finally {
    if (server.exitCode === null) {
      server.kill('SIGTERM')
      await new Promise((r) => server?.once('exit', r))
    }
    server = null
    await rm(work, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main()
