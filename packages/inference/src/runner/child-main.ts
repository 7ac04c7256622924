/**
 * Entry point of the model process: loads one ONNX model, then predicts series on request.
 * Runs in its own process so that a model that hangs, exhausts memory or crashes onnxruntime
 * can be killed without taking the worker down.
 */
import { rmSync } from 'node:fs'
import { basename } from 'node:path'
import { readImage, writeImage } from '@spider-bench/scoring'
import type * as ort from 'onnxruntime-node'
import type { AlgorithmConfig } from '../config/algorithm-config-schema.ts'
import { AlgorithmValidationError, InferenceError } from '../errors.ts'
import { openSession, sessionPatchModel } from '../onnx/session.ts'
import { predictSeries } from '../predict-series.ts'
import { checkModelSignature, validateAlgorithm } from '../validate-algorithm.ts'
import type { ChildMessage, ParentMessage, SeriesTimings } from './protocol.ts'
import { SANDBOX_PREFIX } from './sandbox.ts'

let session: ort.InferenceSession | null = null
let config: AlgorithmConfig | null = null
let names = { inputName: '', outputName: '' }

function send(message: ChildMessage): void {
  process.send?.(message)
}

/** onnxruntime reports failed allocations as plain errors: classify them as out of memory. */
function classify(err: unknown): { code: InferenceError['code']; message: string } {
  if (err instanceof InferenceError) return { code: err.code, message: err.message }
  const message = err instanceof Error ? err.message : String(err)
  if (/bad_alloc|failed to allocate|out of memory|allocation failed/i.test(message)) return { code: 'out-of-memory', message }
  return { code: 'model-error', message }
}

async function handle(msg: ParentMessage): Promise<void> {
  if (msg.type === 'validate') {
    try {
      const v = await validateAlgorithm(msg.modelPath, msg.config, msg.file)
      send({ type: 'validated', config: v.config, inputName: v.inputName, outputName: v.outputName })
    } catch (err) {
      if (err instanceof AlgorithmValidationError)
        send({ type: 'invalid', part: err.part, message: err.message, ...(err.detail !== undefined ? { detail: err.detail } : {}) })
      else send({ type: 'failed', ...classify(err) })
    }
    return
  }
  if (msg.type === 'load') {
    try {
      const opened = await openSession(msg.modelPath, { providers: msg.providers, threads: msg.threads })
      session = opened.session
      config = msg.config
      names = checkModelSignature(session, config)
      send({ type: 'loaded', provider: opened.provider })
    } catch (err) {
      send({ type: 'failed', ...classify(err) })
    }
    return
  }
  if (!session || !config) {
    send({ type: 'failed', id: msg.id, code: 'model-error', message: 'no model loaded' })
    return
  }
  try {
    const t0 = performance.now()
    const image = await readImage(msg.imagePath)
    const timings: SeriesTimings = {
      read: performance.now() - t0,
      resample: 0,
      normalize: 0,
      slidingWindow: 0,
      onnx: 0,
      postprocess: 0,
      write: 0,
      total: 0,
    }
    const mask = await predictSeries(image, msg.sequence, config, sessionPatchModel(session, names.inputName, names.outputName), timings)
    const t1 = performance.now()
    await writeImage(mask, msg.outPath, { compress: true })
    timings.write = performance.now() - t1
    timings.total = performance.now() - t0
    send({ type: 'done', id: msg.id, timings, voxels: image.data.length })
  } catch (err) {
    send({ type: 'failed', id: msg.id, ...classify(err) })
  }
}

// One request at a time, in order: the parent never sends a second before the first answers.
let chain = Promise.resolve()
process.on('message', (msg: ParentMessage) => {
  chain = chain.then(() => handle(msg))
})
// The worker is gone (killed, crashed): its model process must not outlive it, nor leave the
// model and the hidden series it was given behind in its sandbox (the worker can no longer
// remove it, and every model process runs as the same unprivileged user).
process.on('disconnect', () => {
  const dir = process.cwd()
  if (basename(dir).startsWith(SANDBOX_PREFIX)) {
    try {
      rmSync(dir, { recursive: true, force: true })
    } catch {
      // what cannot be removed stays; exiting matters more
    }
  }
  process.exit(0)
})
