import { constants, createWriteStream } from 'node:fs'
import { chmod, chown, copyFile, mkdir, mkdtemp, open, readFile, rm, stat, unlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { InferenceError } from '../errors.ts'

/**
 * Where a model process lives: an empty private working directory (removed afterwards), a
 * minimal environment, and, when the server runs as root, an unprivileged user.
 *
 * A model process starts in its sandbox directory, so that nothing of the server (DATA_DIR,
 * the embedded database, .env files) lies under its working directory, and with only PATH,
 * the library path and CUDA settings in its environment (no database or Redis URL, no token).
 * When the server runs as root, the process runs as `nobody` (uid/gid from /etc/passwd,
 * 65534 otherwise) and the files it needs (the model, the series in flight) are copied into
 * the directory, owned by that user and readable by it alone; its output is written there and
 * read back by the server, refusing anything but a regular file of that user (no link to a
 * file of the server). As `nobody`, a model process can read only what every user can.
 */

/** Sandbox folders are `$TMPDIR/spider-model-XXXXXX`; a model process whose worker died removes its own. */
export const SANDBOX_PREFIX = 'spider-model-'

/** The unprivileged user of model processes when the server runs as root. */
export const MODEL_PROCESS_USER = 'nobody'
const NOBODY_ID = 65534

/** Variables a model process inherits from the server (if set); everything else is dropped. */
export const INHERITED_ENV = [
  'PATH',
  'LD_LIBRARY_PATH',
  'CUDA_VISIBLE_DEVICES',
  'CUDA_DEVICE_ORDER',
  'NVIDIA_VISIBLE_DEVICES',
  'LANG',
  'TZ',
] as const

export interface ProcessIdentity {
  readonly uid: number
  readonly gid: number
}

let identity: Promise<ProcessIdentity | null> | null = null

/** The identity model processes take: `nobody` when this process runs as root, else null (they run as we do). */
export function modelProcessIdentity(): Promise<ProcessIdentity | null> {
  identity ??= (async () => {
    if (typeof process.getuid !== 'function' || process.getuid() !== 0) return null
    const passwd = await readFile('/etc/passwd', 'utf8').catch(() => '')
    const entry = passwd.split('\n').find((line) => line.startsWith(`${MODEL_PROCESS_USER}:`))
    const [, , uid, gid] = entry?.split(':') ?? []
    const id = (v: string | undefined) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : NOBODY_ID)
    return { uid: id(uid), gid: id(gid) }
  })()
  return identity
}

/**
 * When this process runs as root (model processes then run as `nobody`), makes `dataDir`
 * (DATA_DIR: storage with the hidden masks, the embedded database) private to root, mode
 * 0700, creating it if needed, so that a model process cannot read it whatever the modes of
 * the files inside. Returns whether it did. Called by the server commands at start.
 */
export async function protectDataDir(dataDir: string): Promise<boolean> {
  if ((await modelProcessIdentity()) === null) return false
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  await chmod(dataDir, 0o700)
  return true
}

/**
 * Checks that every directory above `file` is searchable and `file` readable by other users:
 * a model process running as `nobody` must load the runner code and its dependencies. Throws
 * a plain Error (an operator problem, not the participant's).
 */
export async function assertWorldReadable(files: readonly string[]): Promise<void> {
  for (const file of files) {
    const s = await stat(file)
    if ((s.mode & 0o004) === 0) throw worldReadableError(file)
    for (let dir = dirname(file); ; dir = dirname(dir)) {
      if (((await stat(dir)).mode & 0o001) === 0) throw worldReadableError(dir)
      if (dirname(dir) === dir) break
    }
  }
}

function worldReadableError(path: string): Error {
  return new Error(
    `model processes run as the unprivileged user "${MODEL_PROCESS_USER}" because the server runs as root, ` +
      `but ${path} is not readable by other users: ` +
      'make the installation world-readable (chmod -R o+rX), or run the server as a non-root user',
  )
}

export class Sandbox {
  private constructor(
    /** The private working directory. */
    readonly dir: string,
    readonly identity: ProcessIdentity | null,
  ) {}

  static async create(): Promise<Sandbox> {
    const who = await modelProcessIdentity()
    const dir = await mkdtemp(join(tmpdir(), SANDBOX_PREFIX))
    await chmod(dir, 0o700)
    if (who) await chown(dir, who.uid, who.gid)
    return new Sandbox(dir, who)
  }

  /** The environment of the model process: INHERITED_ENV, HOME and TMPDIR in the sandbox, then `extra`. */
  env(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
    const env: Record<string, string> = {}
    for (const name of INHERITED_ENV) {
      const value = process.env[name]
      if (value !== undefined) env[name] = value
    }
    env.PATH ??= '/usr/local/bin:/usr/bin:/bin'
    return { ...env, HOME: this.dir, TMPDIR: this.dir, ...extra }
  }

  /** Copies `source` into the sandbox as `name`, readable only by the model process's user; returns its path. */
  async stage(source: string, name: string): Promise<string> {
    const target = join(this.dir, name)
    await rm(target, { force: true })
    await copyFile(source, target, constants.COPYFILE_FICLONE)
    await chmod(target, 0o400)
    if (this.identity) await chown(target, this.identity.uid, this.identity.gid)
    return target
  }

  /**
   * Moves the file `name` the model process wrote to `dest`. Only a regular file with one link
   * (owned by the model process's user when it runs as another) is taken: a symbolic or hard
   * link to a file of the server is refused.
   */
  async collect(name: string, dest: string): Promise<void> {
    const source = join(this.dir, name)
    const handle = await open(source, constants.O_RDONLY | constants.O_NOFOLLOW).catch((err: NodeJS.ErrnoException) => {
      throw new InferenceError(
        'model-error',
        err.code === 'ELOOP'
          ? `the model process left a symbolic link as its output ${name}`
          : `the model process wrote no output ${name} (${err.code ?? 'unreadable'})`,
      )
    })
    try {
      const s = await handle.stat()
      if (!s.isFile() || s.nlink !== 1) throw new InferenceError('model-error', `the model process's output ${name} is not a regular file`)
      if (this.identity && s.uid !== this.identity.uid)
        throw new InferenceError('model-error', `the model process's output ${name} is not its own file`)
      await pipeline(handle.createReadStream({ autoClose: false }), createWriteStream(dest))
    } finally {
      await handle.close()
    }
    await unlink(source)
  }

  /** Removes a file of the sandbox, if present. */
  async discard(name: string): Promise<void> {
    await rm(join(this.dir, name), { force: true })
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true })
  }
}
