/**
 * Separate machines on one host, for test/scale-out.int.test.ts. Where the host allows it (root:
 * `unshare` and `ip netns`), each spider-bench process runs
 * - in a mount namespace of its own, where the folders of the others (their DATA_DIRs, the object
 *   store's directory, the client's files) are covered by an empty read-only tmpfs: it cannot
 *   read another's files, nor write there;
 * - for a worker, in a network namespace of its own whose only link (a veth pair) leads to TCP
 *   relays in the test process for Postgres, Redis and the object store: it can reach nothing else
 *   (not the API, not the host's loopback).
 * `probeIsolation()` says what this host allows; without it the processes run side by side and
 * only the after-the-fact checks of the test remain.
 */
import { execFile, spawnSync } from 'node:child_process'
import { randomInt } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, connect, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

export interface IsolationSupport {
  /** Private mount namespaces with tmpfs mounts (unshare --mount, as root). */
  readonly mounts: boolean
  /** Network namespaces with veth links (ip netns, as root). */
  readonly netns: boolean
  /** Why a kind is missing. */
  readonly missing: string[]
}

/** Tries each mechanism once, on throw-away objects. */
export async function probeIsolation(): Promise<IsolationSupport> {
  const missing: string[] = []
  const dir = await mkdtemp(join(tmpdir(), 'spider-probe-'))
  const mount = spawnSync(
    'unshare',
    ['--mount', '--propagation', 'private', 'sh', '-c', `mount -t tmpfs -o ro,size=4k,mode=000 spider-hidden '${dir}'`],
    { encoding: 'utf8' },
  )
  await rm(dir, { recursive: true, force: true })
  const mounts = mount.status === 0
  if (!mounts) missing.push(`private mounts: ${(mount.error?.message ?? mount.stderr).trim() || `unshare exited ${mount.status}`}`)
  const name = `sbprobe${randomInt(1e9)}`
  const add = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' })
  const netns = add.status === 0
  if (netns) spawnSync('ip', ['netns', 'del', name])
  else missing.push(`network namespaces: ${(add.error?.message ?? add.stderr).trim() || `ip exited ${add.status}`}`)
  return { mounts, netns, missing }
}

/**
 * The command prefix that runs a command in a private mount namespace where each folder of
 * `hide` is an empty read-only tmpfs (folder names without quotes). The command is exec'd: its
 * process id is the one spawned.
 */
export function hidingFolders(hide: readonly string[]): string[] {
  for (const dir of hide) if (/['\\]/.test(dir)) throw new Error(`cannot quote ${dir}`)
  const mounts = hide.map((dir) => `mount -t tmpfs -o ro,size=4k,mode=000 spider-hidden '${dir}'`).join(' && ')
  return ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', `${mounts} && exec "$@"`, 'sh']
}

/** A TCP relay from `host`:<port> to 127.0.0.1:`target`. */
async function relay(host: string, target: number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((inbound) => {
    const outbound = connect(target, '127.0.0.1')
    for (const s of [inbound, outbound]) {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
      s.on('error', () => {
        inbound.destroy()
        outbound.destroy()
      })
    }
    inbound.pipe(outbound).pipe(inbound)
  })
  await new Promise<void>((ok, fail) => {
    server.once('error', fail)
    server.listen(0, host, ok)
  })
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('relay has no TCP address')
  return {
    port: address.port,
    close: () =>
      new Promise((ok) => {
        for (const s of sockets) s.destroy()
        server.close(() => ok())
      }),
  }
}

/**
 * A network namespace linked by a veth pair to the host, where TCP relays listen on the host's
 * end for the given loopback ports (and nothing else of the test listens there). No route leads
 * anywhere else.
 */
export class NetworkNamespace {
  private constructor(
    readonly name: string,
    /** The host's end of the link, where the relays listen. */
    readonly hostIp: string,
    private readonly relays: Map<number, { port: number; close(): Promise<void> }>,
  ) {}

  static async create(tag: string, ports: readonly number[]): Promise<NetworkNamespace> {
    const id = randomInt(1e6).toString(36)
    const name = `sb-${tag}-${id}`
    const [a, b] = [randomInt(100, 250), randomInt(0, 64) * 4]
    const hostIp = `10.${a}.${b}.1`
    const hostLink = `sbh${tag.slice(0, 3)}${id}`.slice(0, 15)
    const nsLink = `sbn${tag.slice(0, 3)}${id}`.slice(0, 15)
    const ip = (...args: string[]) => run('ip', args)
    const inside = (...args: string[]) => run('ip', ['netns', 'exec', name, 'ip', ...args])
    await ip('netns', 'add', name)
    const ns = new NetworkNamespace(name, hostIp, new Map())
    try {
      await ip('link', 'add', hostLink, 'type', 'veth', 'peer', 'name', nsLink)
      await ip('link', 'set', nsLink, 'netns', name)
      await ip('addr', 'add', `${hostIp}/30`, 'dev', hostLink)
      await ip('link', 'set', hostLink, 'up')
      await inside('addr', 'add', `10.${a}.${b}.2/30`, 'dev', nsLink)
      await inside('link', 'set', nsLink, 'up')
      await inside('link', 'set', 'lo', 'up')
      for (const port of ports) ns.relays.set(port, await relay(hostIp, port))
      return ns
    } catch (err) {
      await ns.close()
      throw err
    }
  }

  /** The command prefix that runs a command in the namespace (exec'd: same process id). */
  get prefix(): string[] {
    return ['ip', 'netns', 'exec', this.name]
  }

  /** `host:port` to use inside the namespace for the host's 127.0.0.1:`port`. */
  address(port: number): string {
    const relayed = this.relays.get(port)
    if (!relayed) throw new Error(`no relay for port ${port}`)
    return `${this.hostIp}:${relayed.port}`
  }

  /** Rewrites the `127.0.0.1:port` (or `localhost:port`) of a URL to its relay. */
  url(url: string): string {
    return url.replace(/(127\.0\.0\.1|localhost):(\d+)/g, (_, _host: string, port: string) => this.address(Number(port)))
  }

  /** Whether a TCP connection from inside the namespace to `host:port` succeeds. */
  async reaches(host: string, port: number): Promise<boolean> {
    const probe =
      `const s=require('net').connect(${port},'${host}');` +
      `s.setTimeout(3000,()=>process.exit(2));s.on('connect',()=>process.exit(0));s.on('error',()=>process.exit(1))`
    try {
      await run('ip', ['netns', 'exec', this.name, process.execPath, '-e', probe])
      return true
    } catch {
      return false
    }
  }

  /** Removes the namespace (and with it both ends of the link) and stops the relays. */
  async close(): Promise<void> {
    await Promise.all([...this.relays.values()].map((r) => r.close()))
    await run('ip', ['netns', 'del', this.name]).catch(() => undefined)
  }
}
