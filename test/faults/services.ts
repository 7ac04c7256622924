/**
 * Private services for the fault suite: a Postgres cluster (initdb in a temporary folder) and
 * a redis-server, each on a free port of 127.0.0.1, which the tests may stop, restart and
 * empty without touching the machine's shared Postgres and Redis (other engineers and CI use
 * those). The spider-bench processes a test starts are registered here too.
 *
 * Everything lives in one folder `$TMPDIR/spider-faults-XXXX` that records its owner (the test
 * process: pid and start time). `close()` stops it all; a test process that died without
 * closing (SIGKILL, a crashed runner) leaves a folder whose owner is gone, and the next
 * `startServices()` (or `cleanOrphans()`) stops what it still runs and removes it.
 */
import { execFile, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)
const PREFIX = 'spider-faults-'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Start time of a process (field 22 of /proc/PID/stat), or null when it does not exist. */
async function startTimeOf(pid: number): Promise<string | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null
  } catch {
    return null
  }
}

async function isAlive(pid: number, startTime?: string): Promise<boolean> {
  const now = await startTimeOf(pid)
  return now !== null && (startTime === undefined || now === startTime)
}

async function commandLine(pid: number): Promise<string> {
  return (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replace(/\0/g, ' ')
}

/** A TCP port nothing listens on now (the OS's choice). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

// ---------------------------------------------------------------- Postgres

function postgresBin(): string {
  const base = '/usr/lib/postgresql'
  if (!existsSync(base)) throw new Error(`no Postgres server binaries under ${base} (install the postgresql package)`)
  return base
}

async function pgBinDir(): Promise<string> {
  const versions = (await readdir(postgresBin()))
    .filter((v) => existsSync(join(postgresBin(), v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a))
  if (versions.length === 0) throw new Error('no initdb under /usr/lib/postgresql/*/bin')
  return join(postgresBin(), versions[0], 'bin')
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0

/** Runs a Postgres program; as root, as the `postgres` user (Postgres refuses to run as root). */
async function pgRun(bin: string, program: string, args: string[]): Promise<string> {
  const file = join(bin, program)
  const { stdout } = isRoot() ? await run('runuser', ['-u', 'postgres', '--', file, ...args]) : await run(file, args)
  return stdout
}

export interface PrivatePostgres {
  readonly port: number
  /** postgresql://postgres@127.0.0.1:PORT/postgres */
  readonly url: string
  /** Stops the server (`fast`: clients are disconnected, as a service restart does). */
  stop(mode?: 'fast' | 'immediate'): Promise<void>
  start(): Promise<void>
  running(): Promise<boolean>
}

async function startPostgres(dir: string): Promise<PrivatePostgres> {
  const bin = await pgBinDir()
  const root = join(dir, 'pg')
  const data = join(root, 'data')
  await mkdir(root, { mode: 0o700 })
  if (isRoot()) {
    const { stdout } = await run('id', ['-u', 'postgres'])
    const { stdout: gid } = await run('id', ['-g', 'postgres'])
    await chown(root, Number(stdout.trim()), Number(gid.trim()))
  }
  await pgRun(bin, 'initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C'])
  let port = 0
  const ctl = (args: string[]) => pgRun(bin, 'pg_ctl', ['-D', data, ...args])
  const start = async () => {
    // Durability off: the suite restarts the server, it never needs a crash-safe disk.
    const options =
      `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 ` +
      '-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200'
    await ctl(['-l', join(root, 'postgres.log'), '-w', '-t', '60', '-o', options, 'start'])
  }
  for (let attempt = 0; ; attempt++) {
    port = await freePort()
    try {
      await start()
      break
    } catch (err) {
      if (attempt >= 3)
        throw new Error(
          `the private Postgres did not start: ${(err as Error).message}\n` +
            (await readFile(join(root, 'postgres.log'), 'utf8').catch(() => '')),
        )
    }
  }
  return {
    port,
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    async stop(mode = 'fast') {
      await ctl(['-m', mode, '-w', '-t', '60', 'stop'])
    },
    start,
    async running() {
      return existsSync(join(data, 'postmaster.pid')) && (await listening(port))
    },
  }
}

/** Stops a cluster left behind by a dead test process (no wait for clients). */
async function stopOrphanPostgres(dir: string): Promise<void> {
  const data = join(dir, 'pg', 'data')
  if (!existsSync(join(data, 'postmaster.pid'))) return
  await pgRun(await pgBinDir(), 'pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-t', '30', 'stop']).catch(() => undefined)
}

// ---------------------------------------------------------------- Redis

export interface PrivateRedis {
  readonly port: number
  /** redis://127.0.0.1:PORT */
  readonly url: string
  /** Shuts the server down without saving: it comes back empty. */
  stop(): Promise<void>
  start(): Promise<void>
  running(): Promise<boolean>
}

/** PING over a raw socket: true once the server answers +PONG. */
function pingRedis(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    let answer = ''
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(1000, () => done(false))
    socket.once('error', () => done(false))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.on('data', (d) => {
      answer += d.toString()
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'))
    })
  })
}

async function readPid(file: string): Promise<number | null> {
  const text = await readFile(file, 'utf8').catch(() => '')
  return /^\d+\s*$/.test(text) ? Number(text.trim()) : null
}

async function startRedis(dir: string): Promise<PrivateRedis> {
  const root = join(dir, 'redis')
  await mkdir(root, { mode: 0o700 })
  const pidFile = join(root, 'redis.pid')
  let port = 0
  const start = async () => {
    await run('redis-server', [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      root,
      '--daemonize',
      'yes',
      '--pidfile',
      pidFile,
      '--logfile',
      join(root, 'redis.log'),
    ])
    const until = Date.now() + 15_000
    while (!(await pingRedis(port))) {
      if (Date.now() > until)
        throw new Error(
          `the private redis-server on port ${port} did not answer: ${await readFile(join(root, 'redis.log'), 'utf8').catch(() => '')}`,
        )
      await sleep(50)
    }
  }
  for (let attempt = 0; ; attempt++) {
    port = await freePort()
    try {
      await start()
      break
    } catch (err) {
      if (attempt >= 3) throw err
    }
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      const pid = await readPid(pidFile)
      if (pid === null || !(await isAlive(pid))) return
      // --save '' and no AOF: a shutdown keeps nothing, the next start is empty.
      process.kill(pid, 'SIGTERM')
      const until = Date.now() + 15_000
      while (await isAlive(pid)) {
        if (Date.now() > until) process.kill(pid, 'SIGKILL')
        await sleep(20)
      }
    },
    start,
    running: () => pingRedis(port),
  }
}

async function stopOrphanRedis(dir: string): Promise<void> {
  const pid = await readPid(join(dir, 'redis', 'redis.pid'))
  if (pid !== null && (await commandLine(pid)).includes('redis-server')) process.kill(pid, 'SIGKILL')
}

// ---------------------------------------------------------------- child processes

async function killRegistered(dir: string): Promise<void> {
  const procs = await readdir(join(dir, 'procs')).catch(() => [] as string[])
  for (const name of procs) {
    const pid = Number(name)
    const started = await readFile(join(dir, 'procs', name), 'utf8').catch(() => '')
    if (Number.isInteger(pid) && started && (await isAlive(pid, started))) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // gone meanwhile
      }
    }
  }
}

// ---------------------------------------------------------------- a small volume

/**
 * Mounts a tmpfs of `sizeMb` at `path` (root only, and only where the container lets us
 * mount); returns false when it cannot. `close()` and the orphan cleanup unmount it.
 */
export async function mountTmpfs(path: string, sizeMb: number): Promise<boolean> {
  if (!isRoot()) return false
  await mkdir(path, { recursive: true })
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m,mode=0700`, 'tmpfs', path])
    return true
  } catch {
    return false
  }
}

/** Mount points at or under `dir`, deepest first. */
async function mountsUnder(dir: string): Promise<string[]> {
  const mounts = await readFile('/proc/mounts', 'utf8').catch(() => '')
  return mounts
    .split('\n')
    .map((line) => line.split(' ')[1]?.replace(/\\040/g, ' '))
    .filter((m): m is string => m !== undefined && (m === dir || m.startsWith(`${dir}/`)))
    .sort((a, b) => b.length - a.length)
}

export async function unmountUnder(dir: string): Promise<void> {
  for (const m of await mountsUnder(dir)) await run('umount', ['-l', m]).catch(() => undefined)
}

// ---------------------------------------------------------------- the whole set

export interface Services {
  /** The private folder: pg/, redis/, and whatever the test puts there (DATA_DIR, archives). */
  readonly dir: string
  readonly postgres: PrivatePostgres
  readonly redis: PrivateRedis
  /** Kills the registered processes, stops Postgres and Redis, removes the folder. Idempotent. */
  close(): Promise<void>
}

/** Stops and removes what dead test processes left behind; returns the folders removed. */
export async function cleanOrphans(): Promise<string[]> {
  const removed: string[] = []
  for (const name of await readdir(tmpdir()).catch(() => [] as string[])) {
    if (!name.startsWith(PREFIX)) continue
    const dir = join(tmpdir(), name)
    const owner = await readFile(join(dir, 'owner'), 'utf8').catch(() => null)
    if (owner === null) continue
    const [pid, started] = owner.trim().split(' ')
    if (await isAlive(Number(pid), started)) continue
    await killRegistered(dir)
    await stopOrphanPostgres(dir)
    await stopOrphanRedis(dir)
    await unmountUnder(dir)
    await rm(dir, { recursive: true, force: true })
    removed.push(dir)
  }
  return removed
}

/** A private Postgres cluster and redis-server for one test file (after an orphan cleanup). */
export async function startServices(): Promise<Services> {
  await cleanOrphans()
  const dir = await mkdtemp(join(tmpdir(), PREFIX))
  // The postgres user must reach pg/ inside this root-owned folder.
  await chmod(dir, 0o711)
  await writeFile(join(dir, 'owner'), `${process.pid} ${(await startTimeOf(process.pid)) ?? ''}`)
  let postgres: PrivatePostgres | null = null
  let redis: PrivateRedis | null = null
  let closing: Promise<void> | null = null
  const close = () =>
    (closing ??= (async () => {
      await killRegistered(dir)
      await redis?.stop().catch(() => undefined)
      if (postgres && existsSync(join(dir, 'pg', 'data', 'postmaster.pid'))) await postgres.stop('immediate').catch(() => undefined)
      await unmountUnder(dir)
      await rm(dir, { recursive: true, force: true })
    })())
  try {
    postgres = await startPostgres(dir)
    redis = await startRedis(dir)
  } catch (err) {
    await close()
    throw err
  }
  return { dir, postgres, redis, close }
}

/** Spawns a child process registered for cleanup (killed by close() or by the next orphan cleanup). */
export function spawnRegistered(dir: string, file: string, args: string[], options: SpawnOptions): ChildProcess {
  const child = spawn(file, args, options)
  if (child.pid !== undefined) {
    // Synchronously, so that a close() right after this call already knows the process.
    mkdirSync(join(dir, 'procs'), { recursive: true })
    const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8')
    writeFileSync(join(dir, 'procs', String(child.pid)), stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '')
  }
  return child
}
