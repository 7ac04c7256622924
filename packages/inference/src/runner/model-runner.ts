import { fork, type ChildProcess } from 'node:child_process'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { AlgorithmConfig, ExecutionProvider } from '../config/algorithm-config-schema.ts'
import { AlgorithmValidationError, InferenceError, type InferenceErrorCode } from '../errors.ts'
import { safeErrorText } from '../safe-message.ts'
import type { ValidatedAlgorithm } from '../validate-algorithm.ts'
import { residentMemoryMb } from './process-memory.ts'
import { assertWorldReadable, Sandbox } from './sandbox.ts'
import type { ChildMessage, ParentMessage, SeriesTimings } from './protocol.ts'

export interface ModelRunnerOptions {
  readonly modelPath: string
  readonly config: AlgorithmConfig
  /** Overrides the config's providers (e.g. a strict ["cuda"] for the GPU benchmark). */
  readonly providers?: readonly ExecutionProvider[]
  /** Wall-clock limit per series, milliseconds. */
  readonly timeLimitMs: number
  /** Wall-clock limit for starting the process and loading the model (default 120 s). */
  readonly loadTimeLimitMs?: number
  /** Resident memory limit of the model process, MiB; also caps the V8 heap. */
  readonly memoryLimitMb: number
  /** onnxruntime CPU threads (default: onnxruntime's choice). */
  readonly threads?: number
  /**
   * Extra environment of the model process (e.g. CUDA_VISIBLE_DEVICES to pin one GPU); it
   * otherwise gets only sandbox.ts's INHERITED_ENV, never the server's whole environment.
   */
  readonly env?: Readonly<Record<string, string>>
  /** How often resident memory is checked, milliseconds (default 100). */
  readonly memoryPollMs?: number
}

export interface PredictRequest {
  readonly imagePath: string
  readonly outPath: string
  readonly sequence: string
}

export interface PredictResult {
  readonly timings: SeriesTimings
  readonly voxels: number
  readonly provider: ExecutionProvider
}

/**
 * The model process's entry: child-main.ts through tsx's loader when this module runs from its
 * source, the compiled child-main.js with no loader when it runs from the build (scripts/build.mjs).
 */
const FROM_SOURCE = import.meta.url.endsWith('.ts')
const CHILD_ENTRY = fileURLToPath(new URL(FROM_SOURCE ? './child-main.ts' : './child-main.js', import.meta.url))
const TSX_LOADER_PATH = FROM_SOURCE ? createRequire(import.meta.url).resolve('tsx') : null
const LOADER_ARGS = TSX_LOADER_PATH ? ['--import', pathToFileURL(TSX_LOADER_PATH).href] : []
const STDERR_KEEP = 8192

/** `<base>` + the file's extension (".nii.gz" counts as one). */
function sandboxName(base: string, file: string): string {
  const m = /(\.nii\.gz|\.[^./\\]+)$/i.exec(file)
  return `${base}${m ? m[1].toLowerCase() : ''}`
}

/**
 * Runs one algorithm in a child process, one series at a time, under a per-series time limit
 * and a memory limit; on a breach the process is killed (SIGKILL) and the series fails with
 * `timeout` or `out-of-memory`. A crash fails only the series in flight; the next request
 * starts a fresh process. Errors carry full messages: the caller decides what a participant
 * may see (InferenceError.reportFor).
 *
 * Each process runs in a Sandbox (sandbox.ts): an empty private working directory holding a
 * copy of the model and of the series in flight, a minimal environment, and the user
 * `nobody` when the server runs as root.
 */
export class ModelRunner {
  private child: ChildProcess | null = null
  private sandbox: Sandbox | null = null
  /** The model's path inside the sandbox. */
  private modelInSandbox = ''
  private provider: ExecutionProvider | null = null
  private nextId = 1
  private stderr = ''
  private closed = false

  constructor(private readonly opts: ModelRunnerOptions) {}

  /** Starts the process and loads the model (also done lazily by the first predict). */
  async start(): Promise<ExecutionProvider> {
    if (this.closed) throw new Error('ModelRunner is closed')
    if (this.child && this.provider) return this.provider
    await this.spawn()
    const reply = await this.exchange({
      type: 'load',
      modelPath: this.modelInSandbox,
      config: this.opts.config,
      providers: this.opts.providers ?? this.opts.config.executionProviders ?? ['cuda', 'cpu'],
      threads: this.opts.threads,
    })
    if (reply.type !== 'loaded') throw new Error(`unexpected reply ${reply.type}`)
    this.provider = reply.provider
    return reply.provider
  }

  /** Starts a model process in a fresh sandbox holding a copy of the model. */
  private async spawn(): Promise<void> {
    await this.kill()
    const sandbox = await Sandbox.create()
    try {
      if (sandbox.identity) await assertWorldReadable(TSX_LOADER_PATH ? [CHILD_ENTRY, TSX_LOADER_PATH] : [CHILD_ENTRY])
      this.modelInSandbox = await sandbox.stage(this.opts.modelPath, 'model.onnx')
    } catch (err) {
      await sandbox.remove()
      throw err
    }
    const child = fork(CHILD_ENTRY, [], {
      execArgv: [...LOADER_ARGS, `--max-old-space-size=${Math.max(64, Math.floor(this.opts.memoryLimitMb))}`],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      cwd: sandbox.dir,
      env: sandbox.env(this.opts.env),
      ...(sandbox.identity ? { uid: sandbox.identity.uid, gid: sandbox.identity.gid } : {}),
      serialization: 'advanced',
    })
    this.child = child
    this.sandbox = sandbox
    this.stderr = ''
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-STDERR_KEEP)
    })
  }

  /**
   * Upload validation (validateAlgorithm) in a model process of its own, under the load time
   * limit and the memory limit, so that a model that hangs or crashes onnxruntime cannot take
   * the API down. Throws AlgorithmValidationError; a breach or crash is reported as a model
   * problem with its reason (safeErrorText; the raw text in `detail`).
   */
  static async validate(
    modelPath: string,
    config: unknown,
    file = 'model.onnx',
    limits: { timeLimitMs?: number; memoryLimitMb?: number } = {},
  ): Promise<ValidatedAlgorithm> {
    const runner = new ModelRunner({
      modelPath,
      // Not used by a validation request; the child parses `config` itself.
      config: config as AlgorithmConfig,
      timeLimitMs: limits.timeLimitMs ?? 120_000,
      loadTimeLimitMs: limits.timeLimitMs ?? 120_000,
      memoryLimitMb: limits.memoryLimitMb ?? 4096,
    })
    try {
      await runner.spawn()
      const reply = await runner.exchange({ type: 'validate', modelPath: runner.modelInSandbox, config, file })
      if (reply.type !== 'validated') throw new Error(`unexpected reply ${reply.type}`)
      return { config: reply.config, inputName: reply.inputName, outputName: reply.outputName }
    } catch (err) {
      if (err instanceof InferenceError)
        throw new AlgorithmValidationError('model', `${file}: validation failed (${err.code}: ${safeErrorText(err.message)})`, err.message)
      throw err
    } finally {
      await runner.close()
    }
  }

  /**
   * Predicts one series: copies `imagePath` into the sandbox, lets the model process write its
   * mask there, and moves the mask to `outPath`. Throws InferenceError.
   */
  async predict(req: PredictRequest): Promise<PredictResult> {
    const provider = await this.start()
    const sandbox = this.sandbox
    if (!sandbox) throw new InferenceError('model-error', 'the model process is not running')
    const id = this.nextId++
    const input = sandboxName('input', req.imagePath)
    const output = sandboxName('output', req.outPath)
    try {
      const imagePath = await sandbox.stage(req.imagePath, input)
      await sandbox.discard(output)
      const reply = await this.exchange({ type: 'predict', id, imagePath, outPath: join(sandbox.dir, output), sequence: req.sequence })
      if (reply.type !== 'done') throw new Error(`unexpected reply ${reply.type}`)
      await sandbox.collect(output, req.outPath)
      return { timings: reply.timings, voxels: reply.voxels, provider }
    } finally {
      // The sandbox is gone already when the process was killed.
      if (this.sandbox === sandbox) await Promise.all([sandbox.discard(input), sandbox.discard(output)])
    }
  }

  /** Ends the model process and removes its sandbox. */
  async close(): Promise<void> {
    this.closed = true
    await this.kill()
  }

  private kill(): Promise<void> {
    const child = this.child
    const sandbox = this.sandbox
    this.child = null
    this.sandbox = null
    this.provider = null
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    return sandbox ? sandbox.remove().catch(() => undefined) : Promise.resolve()
  }

  /** Sends one request and waits for its answer, the time limit, the memory limit or the process's end. */
  private exchange(msg: ParentMessage): Promise<Extract<ChildMessage, { type: 'loaded' | 'done' | 'validated' }>> {
    const child = this.child
    if (!child) return Promise.reject(new InferenceError('model-error', 'the model process is not running'))
    return new Promise((resolve, reject) => {
      let settled = false
      const finish = (err: Error | null, value?: Extract<ChildMessage, { type: 'loaded' | 'done' | 'validated' }>) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        clearInterval(poll)
        child.off('message', onMessage)
        child.off('exit', onExit)
        if (err) reject(err)
        else resolve(value!)
      }
      const fail = (code: InferenceErrorCode, message: string) => {
        void this.kill()
        finish(new InferenceError(code, message))
      }
      const onMessage = (reply: ChildMessage) => {
        if (reply.type === 'failed') {
          // A failed load leaves no usable process; a failed series keeps the model loaded.
          if (msg.type !== 'predict' || reply.code === 'out-of-memory') void this.kill()
          finish(new InferenceError(reply.code, reply.message))
        } else if (reply.type === 'invalid') {
          finish(new AlgorithmValidationError(reply.part, reply.message, reply.detail))
        } else if (
          reply.type === 'loaded' ||
          reply.type === 'validated' ||
          (reply.type === 'done' && msg.type === 'predict' && reply.id === msg.id)
        ) {
          finish(null, reply)
        }
      }
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        void this.kill()
        const heap = /heap out of memory|allocation failed/i.test(this.stderr)
        const tail = this.stderr.trim().split('\n').slice(-5).join('\n')
        if (heap) finish(new InferenceError('out-of-memory', `the model process ran out of memory (exit ${code ?? signal})`))
        else
          finish(
            new InferenceError(
              'model-error',
              `the model process exited unexpectedly (${signal ? `signal ${signal}` : `exit code ${code}`})${tail ? `: ${tail}` : ''}`,
            ),
          )
      }
      const limit = msg.type === 'predict' ? this.opts.timeLimitMs : (this.opts.loadTimeLimitMs ?? 120_000)
      const timer = setTimeout(
        () =>
          fail(
            'timeout',
            `no result within the time limit of ${limit} ms ` +
              `(${msg.type === 'predict' ? 'one series' : msg.type === 'load' ? 'loading the model' : 'validating the model'})`,
          ),
        limit,
      )
      const checkMemory = async () => {
        const pid = child.pid
        if (settled || pid === undefined) return
        const rss = await residentMemoryMb(pid) // null when unreadable; never rejects
        if (rss !== null && rss > this.opts.memoryLimitMb && !settled)
          fail('out-of-memory', `resident memory ${Math.round(rss)} MiB exceeded the limit of ${this.opts.memoryLimitMb} MiB`)
      }
      const poll = setInterval(() => void checkMemory(), this.opts.memoryPollMs ?? 100)
      child.on('message', onMessage)
      child.on('exit', onExit)
      child.send(msg, (err) => {
        if (err) fail('model-error', `cannot reach the model process (${err.message})`)
      })
    })
  }
}
