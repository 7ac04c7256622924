import { link, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readImage, writeImage } from '@spider-bench/scoring'
import type { AlgorithmConfig } from '../config/algorithm-config-schema.ts'
import { AlgorithmValidationError, InferenceError } from '../errors.ts'
import { seededRandom } from '@spider-bench/random'
import { fastModel, halfSizeModel, memoryHogModel, nanModel, slowModel } from '../testing/test-models.ts'
import { encodeModel } from '../onnx/model-proto.ts'
import { ModelRunner } from './model-runner.ts'
import { modelProcessIdentity, Sandbox } from './sandbox.ts'

const config: AlgorithmConfig = {
  schemaVersion: 1,
  input: { channels: ['image'], spacing: null },
  normalization: { kind: 'z-score' },
  slidingWindow: { patchSize: [32, 32, 32], overlap: 0.25, blending: 'gaussian' },
  output: { kind: 'logits', channels: [{ class: 'background' }, { class: 'vertebra' }] },
  executionProviders: ['cpu'],
}

let dir: string
const models: Record<string, string> = {}

async function expectCode(p: Promise<unknown>, code: string): Promise<InferenceError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(InferenceError)
  expect(`${(err as InferenceError).code}: ${(err as Error).message}`).toMatch(new RegExp(`^${code}: `))
  return err as InferenceError
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spider-runner-'))
  const rand = seededRandom(4, -1, 1)
  const size = [40, 36, 34] as const
  await writeImage(
    {
      size,
      spacing: [1, 1, 1],
      origin: [0, 0, 0],
      direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
      componentType: 'int16',
      data: Int16Array.from({ length: 40 * 36 * 34 }, () => Math.round(rand() * 500)),
    },
    join(dir, 'image.mha'),
  )
  const builders = {
    fast: fastModel,
    slow: () => slowModel(),
    slower: () => slowModel(24),
    nan: nanModel,
    half: halfSizeModel,
    hog: () => memoryHogModel(12000),
  }
  for (const [name, build] of Object.entries(builders)) {
    models[name] = join(dir, `${name}.onnx`)
    await writeFile(models[name], build())
  }
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const request = (name: string) => ({ imagePath: join(dir, 'image.mha'), outPath: join(dir, `${name}-mask.mha`), sequence: 't1' })

describe('ModelRunner (model in a child process)', () => {
  it('predicts a series and writes a mask with the image geometry', async () => {
    const runner = new ModelRunner({ modelPath: models.fast, config, timeLimitMs: 30_000, memoryLimitMb: 2048, threads: 1 })
    try {
      const r = await runner.predict(request('fast'))
      expect(r.provider).toBe('cpu')
      expect(r.voxels).toBe(40 * 36 * 34)
      expect(r.timings.onnx).toBeGreaterThan(0)
      const mask = await readImage(join(dir, 'fast-mask.mha'))
      expect(mask.size).toEqual([40, 36, 34])
      expect(mask.componentType).toBe('uint16')
    } finally {
      await runner.close()
    }
  })

  it('kills a model that exceeds the time limit, then serves the next series with a fresh process', async () => {
    const runner = new ModelRunner({ modelPath: models.slow, config, timeLimitMs: 1500, memoryLimitMb: 2048, threads: 1 })
    try {
      await runner.start()
      const err = await expectCode(runner.predict(request('slow')), 'timeout')
      expect(err.message).toBe('no result within the time limit of 1500 ms (one series)')
      expect(err.reportFor('hidden')).toBe('timeout: the model exceeded the time limit for this series')
      await expectCode(runner.predict(request('slow')), 'timeout')
    } finally {
      await runner.close()
    }
  })

  it('reports NaN output and a wrong output shape with their safe codes', async () => {
    const nan = new ModelRunner({ modelPath: models.nan, config, timeLimitMs: 30_000, memoryLimitMb: 2048, threads: 1 })
    const half = new ModelRunner({ modelPath: models.half, config, timeLimitMs: 30_000, memoryLimitMb: 2048, threads: 1 })
    try {
      const e1 = await expectCode(nan.predict(request('nan')), 'non-finite-output')
      expect(e1.reportFor('public')).toMatch(/^non-finite-output: model output value NaN at flat index 0 of a patch/)
      expect(e1.reportFor('hidden')).toBe('non-finite-output: the model output contains NaN or infinite values')
      const e2 = await expectCode(half.predict(request('half')), 'output-shape-mismatch')
      expect(e2.message).toBe('model output has dims [1, 2, 16, 16, 16], expected [1, 2, 32, 32, 32] for an input patch')
    } finally {
      await nan.close()
      await half.close()
    }
  })

  it('kills a model that exceeds the memory limit', async () => {
    // 12000 copies of a 32³ patch: 1.5 GiB per buffer against a 600 MiB limit.
    const runner = new ModelRunner({ modelPath: models.hog, config, timeLimitMs: 60_000, memoryLimitMb: 600, threads: 1, memoryPollMs: 20 })
    try {
      const err = await expectCode(runner.predict(request('hog')), 'out-of-memory')
      expect(err.reportFor('hidden')).toBe('out-of-memory: the model exceeded the memory limit')
    } finally {
      await runner.close()
    }
  })

  it('survives a crash of the model process: the series fails, the next one runs', async () => {
    const runner = new ModelRunner({ modelPath: models.slow, config, timeLimitMs: 60_000, memoryLimitMb: 2048, threads: 1 })
    const fast = new ModelRunner({ modelPath: models.fast, config, timeLimitMs: 30_000, memoryLimitMb: 2048, threads: 1 })
    try {
      await runner.start()
      const pending = runner.predict(request('crash'))
      // Simulate a native crash of onnxruntime: the process dies by a signal mid-series.
      const pid = (runner as unknown as { child: { pid: number } }).child.pid
      setTimeout(() => process.kill(pid, 'SIGSEGV'), 200)
      const err = await expectCode(pending, 'model-error')
      expect(err.message).toMatch(/^the model process exited unexpectedly \(signal SIGSEGV\)/)
      expect(err.reportFor('hidden')).toBe('model-error: the model failed on this series')
      // This test process (the worker) is still alive and runs models.
      expect((await fast.predict(request('after-crash'))).voxels).toBe(40 * 36 * 34)
    } finally {
      await runner.close()
      await fast.close()
    }
  })

  it('a model that cannot load fails at start with the reason', async () => {
    const bad = join(dir, 'bad.onnx')
    await writeFile(bad, 'garbage')
    const runner = new ModelRunner({ modelPath: bad, config, timeLimitMs: 30_000, memoryLimitMb: 2048 })
    const err = await expectCode(runner.start(), 'model-error')
    expect(err.message).toBe(
      'model.onnx: not a valid ONNX model (malformed protobuf: field 12 at byte 0 has wire type 7, which ONNX does not use)',
    )
    await runner.close()
    // Well-formed protobuf that onnxruntime refuses: its reason comes through.
    const unknownOp = join(dir, 'unknown-op.onnx')
    await writeFile(
      unknownOp,
      encodeModel({
        name: 'u',
        inputs: [{ name: 'x', elemType: 'float32', shape: [1] }],
        outputs: [{ name: 'y', elemType: 'float32', shape: [1] }],
        nodes: [{ op: 'NoSuchOp', inputs: ['x'], outputs: ['y'] }],
      }),
    )
    const runner2 = new ModelRunner({ modelPath: unknownOp, config, timeLimitMs: 30_000, memoryLimitMb: 2048 })
    const err2 = await expectCode(runner2.start(), 'model-error')
    expect(err2.message).toMatch(/^no execution provider could load the model \(cpu: .*NoSuchOp/)
    await runner2.close()
  })

  it('validates an upload in a child process: same verdicts as in-process, a hanging model is stopped', async () => {
    const ok = await ModelRunner.validate(models.fast, config)
    expect(ok).toMatchObject({ inputName: 'x', outputName: 'y' })
    const wrong = await ModelRunner.validate(models.fast, { ...config, input: { ...config.input, channels: ['image', 't1'] } }).catch(
      (e: unknown) => e,
    )
    expect(wrong).toBeInstanceOf(AlgorithmValidationError)
    expect((wrong as Error).message).toBe(
      'model.onnx: input "x" has [1, 1, "z", "y", "x"]: channel dimension 1 but config input.channels lists 2 (image, t1)',
    )
    const badConfig = await ModelRunner.validate(models.fast, { ...config, schemaVersion: 3 }).catch((e: unknown) => e)
    expect((badConfig as AlgorithmValidationError).part).toBe('config')
    // 24 wide layers on a 96³ patch: over 1.3 T multiply-adds, far beyond an 8 s limit.
    const slow = await ModelRunner.validate(
      models.slower,
      { ...config, slidingWindow: { ...config.slidingWindow, patchSize: [96, 96, 96] } },
      'slow.onnx',
      { timeLimitMs: 8_000 },
    ).catch((e: unknown) => e)
    expect(slow).toBeInstanceOf(AlgorithmValidationError)
    expect((slow as Error).message).toBe(
      'slow.onnx: validation failed (timeout: no result within the time limit of 8000 ms (validating the model))',
    )
  }, 120_000)

  it('runs the model process in an empty private directory, with a minimal environment, as nobody when the server is root', async () => {
    const planted = {
      DATABASE_URL: 'postgresql://u:pw@db/spider',
      REDIS_URL: 'redis://:pw@redis:6379',
      DATA_DIR: '/srv/spider/data',
      SPIDER_ADMIN_TOKEN: 'sb_secret',
    }
    const saved = Object.fromEntries(Object.keys(planted).map((k) => [k, process.env[k]]))
    Object.assign(process.env, planted)
    const runner = new ModelRunner({
      modelPath: models.fast,
      config,
      timeLimitMs: 30_000,
      memoryLimitMb: 2048,
      threads: 1,
      env: { CUDA_VISIBLE_DEVICES: '3' },
    })
    try {
      await runner.predict(request('sandboxed'))
      const pid = (runner as unknown as { child: { pid: number } }).child.pid
      const cwd = await readlink(`/proc/${pid}/cwd`)
      expect(cwd.startsWith(join(tmpdir(), 'spider-model-'))).toBe(true)
      // The model is there; the series and the mask were moved in and out.
      const entries = await readdir(cwd)
      expect(entries).toContain('model.onnx')
      expect(entries.filter((n) => /^(input|output)/.test(n))).toEqual([])
      const env = Object.fromEntries(
        (await readFile(`/proc/${pid}/environ`, 'utf8'))
          .split('\0')
          .filter(Boolean)
          .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
      )
      for (const name of Object.keys(planted)) expect(env[name]).toBeUndefined()
      expect(Object.keys(env).sort()).toEqual(expect.arrayContaining(['CUDA_VISIBLE_DEVICES', 'HOME', 'PATH', 'TMPDIR']))
      expect(
        Object.keys(env).filter(
          (k) =>
            !k.startsWith('NODE_CHANNEL_') &&
            ![
              'PATH',
              'LD_LIBRARY_PATH',
              'CUDA_VISIBLE_DEVICES',
              'CUDA_DEVICE_ORDER',
              'NVIDIA_VISIBLE_DEVICES',
              'LANG',
              'TZ',
              'HOME',
              'TMPDIR',
            ].includes(k),
        ),
      ).toEqual([])
      expect(env).toMatchObject({ HOME: cwd, TMPDIR: cwd, CUDA_VISIBLE_DEVICES: '3' })
      const who = await modelProcessIdentity()
      const uid = Number(/^Uid:\s+(\d+)/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1])
      if (process.getuid?.() === 0) {
        expect(who).not.toBeNull()
        expect(uid).toBe(who?.uid)
        expect(uid).not.toBe(0)
        const model = await stat(join(cwd, 'model.onnx'))
        expect([model.uid, model.mode & 0o777]).toEqual([who?.uid, 0o400])
        expect(((await stat(cwd)).mode & 0o777).toString(8)).toBe('700')
      } else {
        expect(who).toBeNull()
        expect(uid).toBe(process.getuid?.())
      }
      await runner.close()
      await expect(stat(cwd)).rejects.toMatchObject({ code: 'ENOENT' })
    } finally {
      await runner.close()
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k]
        else process.env[k] = v
      }
    }
  })

  it("takes back only a regular file of the model process's own as its output (no symbolic or hard link to a server file)", async () => {
    const serverFile = join(dir, 'server-secret.txt')
    await writeFile(serverFile, 'hidden reference mask')
    const sandbox = await Sandbox.create()
    try {
      await symlink(serverFile, join(sandbox.dir, 'out.mha'))
      await expect(sandbox.collect('out.mha', join(dir, 'taken.mha'))).rejects.toThrow(
        'the model process left a symbolic link as its output out.mha',
      )
      await rm(join(sandbox.dir, 'out.mha'))
      await link(serverFile, join(sandbox.dir, 'out.mha'))
      await expect(sandbox.collect('out.mha', join(dir, 'taken.mha'))).rejects.toThrow(
        /^the model process's output out.mha is not (a regular file|its own file)$/,
      )
      await rm(join(sandbox.dir, 'out.mha'))
      await expect(sandbox.collect('out.mha', join(dir, 'taken.mha'))).rejects.toThrow('the model process wrote no output out.mha (ENOENT)')
      const staged = await sandbox.stage(serverFile, 'copy.txt')
      await expect(readFile(staged, 'utf8')).resolves.toBe('hidden reference mask')
    } finally {
      await sandbox.remove()
    }
  })
})
