import { spawn, type ChildProcess } from 'node:child_process'
import { mkdir } from 'node:fs/promises'
import { Socket } from 'node:net'
import { join } from 'node:path'
import { freePort } from './free-port.ts'

/** A Redis the demo can use: either the one at REDIS_URL, or a private one it started. */
export interface LocalRedis {
  readonly url: string
  /** True when this process started the server (and `stop` ends it). */
  readonly started: boolean
  stop(): Promise<void>
}

/** Sends PING over a raw socket; resolves true on "+PONG" within the timeout. */
export function pingRedis(url: string, timeoutMs = 1000): Promise<boolean> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve) => {
    const socket = new Socket()
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('error', () => done(false))
    socket.once('data', (chunk) => done(chunk.toString().startsWith('+PONG')))
    socket.connect(Number(port || 6379), hostname.replace(/^\[|\]$/g, '') || '127.0.0.1', () => socket.write('PING\r\n'))
  })
}

function onPath(binary: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(binary, ['--version'], { stdio: 'ignore' })
    child.once('error', () => resolve(false))
    child.once('exit', (code) => resolve(code === 0))
  })
}

export const REDIS_INSTALL_HINT =
  'install Redis (Debian/Ubuntu: `sudo apt-get install redis-server`; macOS: `brew install redis`) ' +
  'or point REDIS_URL at a running server'

/**
 * Uses the Redis at `url` when it answers; otherwise starts a private `redis-server` on a free
 * loopback port with its files under `dir` (stopped by `stop()` or when this process exits).
 * Throws with install instructions when neither is possible.
 */
export async function ensureRedis(url: string, dir: string, binary = 'redis-server'): Promise<LocalRedis> {
  if (await pingRedis(url)) return { url, started: false, stop: async () => {} }
  if (!(await onPath(binary))) {
    throw new Error(`no Redis answers at ${url} and \`${binary}\` is not on the PATH: ${REDIS_INSTALL_HINT}`)
  }
  await mkdir(dir, { recursive: true })
  const port = await freePort()
  const child: ChildProcess = spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'yes',
      '--maxmemory-policy',
      'noeviction',
      '--logfile',
      join(dir, 'redis.log'),
    ],
    { stdio: 'ignore' },
  )
  const localUrl = `redis://127.0.0.1:${port}`
  const killOnExit = () => child.kill('SIGTERM')
  process.once('exit', killOnExit)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  for (let i = 0; i < 50; i++) {
    if (child.exitCode !== null) break
    if (await pingRedis(localUrl, 200)) {
      return {
        url: localUrl,
        started: true,
        async stop() {
          process.removeListener('exit', killOnExit)
          if (child.exitCode === null) {
            child.kill('SIGTERM')
            await exited
          }
        },
      }
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  child.kill('SIGKILL')
  throw new Error(`started ${binary} on port ${port} but it did not answer (see ${join(dir, 'redis.log')})`)
}
