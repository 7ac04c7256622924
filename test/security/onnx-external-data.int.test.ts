/**
 * Finding 1 (critical): a participant read files of the server, the hidden reference masks
 * included, through ONNX external data. Upload validation loaded the model from bytes, so
 * onnxruntime resolved an initializer's relative `location` against the model process's
 * working directory, inherited from the API and holding DATA_DIR; a Reshape to a shape made
 * of those bytes failed and the 422 printed them. Here the server's working directory is its
 * DATA_DIR (as under `serve` with DATA_DIR=./data, one level less), the location names the
 * stored hidden mask (and a planted secret), and every variant (initializer, tensor attribute,
 * sparse initializer, If subgraph, Loop inside If, model-local function) is refused with a
 * clear 422 that holds no byte of the file and no server path.
 *
 * Finding 7 (model validations): at most MAX_CONCURRENT_MODEL_VALIDATIONS model processes
 * validate uploads at once; one more upload gets 429 with Retry-After.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { readdir, readFile, readlink, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodeModel } from '@spider-bench/inference'
import {
  EXTERNAL_ATTACK_CONFIG,
  EXTERNAL_DATA_VARIANTS,
  externalDataAttackModel,
  fastModel,
  shapeDump,
  slowModel,
} from '@spider-bench/inference/testing'
import { startHarness, type Harness } from '../../apps/api/src/testing/harness.ts'
import { apiClient, PHASE_BODY } from '../../apps/api/src/testing/client.ts'
import { mhaBytes } from '../../apps/api/src/testing/images.ts'
import { VALIDATION_RETRY_AFTER_SECONDS } from '../../apps/api/src/lib/validation-gate.ts'

interface ErrorBody {
  error: { code: string; message: string; details?: unknown }
}

const URL_PATH = '/api/v1/challenges/spine/phases/final/submissions'
const SECRET = 'TOPSECRET: postgres://spider:hunter2@db/spider'

async function setUpPhase(h: Harness, api: ReturnType<typeof apiClient>): Promise<void> {
  const org = (await h.user('org', 'organiser')).token
  expect((await api.json(org, 'POST', '/api/v1/challenges', { slug: 'spine', title: 'Spine' })).status).toBe(201)
  expect(
    (
      await api.json(org, 'POST', '/api/v1/challenges/spine/phases', {
        ...PHASE_BODY,
        submissionKinds: ['predictions', 'algorithm'],
        submissionLimit: { count: 100, periodHours: 24 },
      })
    ).status,
  ).toBe(201)
  const set = await api.archive([
    { name: 'images/1_t1.mha', data: await mhaBytes('image') },
    { name: 'masks/1_t1.mha', data: await mhaBytes('mask') },
  ])
  expect((await api.multipart(org, 'PUT', '/api/v1/challenges/spine/phases/final/test-set', { archive: set })).status).toBe(200)
}

const upload = (api: ReturnType<typeof apiClient>, token: string, model: Uint8Array, config: unknown = EXTERNAL_ATTACK_CONFIG) =>
  api.multipart(token, 'POST', URL_PATH, {
    kind: 'algorithm',
    model: new Blob([Buffer.from(model)]),
    config: new Blob([JSON.stringify(config)]),
  })

describe('ONNX external data: a participant cannot read server files through a model (finding 1)', () => {
  let h: Harness
  let api: ReturnType<typeof apiClient>
  let participant: string
  let maskLocation: string
  let mask: Buffer
  const cwd = process.cwd()

  beforeAll(async () => {
    h = await startHarness('postgres')
    api = apiClient(h.url, h.dataDir)
    await setUpPhase(h, api)
    participant = (await h.user('p', 'participant')).token
    // The server's working directory holds its data: the stored hidden mask and a planted secret.
    process.chdir(h.dataDir)
    await writeFile('secret.txt', SECRET)
    const series = await h.db.prisma.testSeries.findFirstOrThrow({ select: { maskKey: true } })
    maskLocation = `storage/${series.maskKey}`
    mask = await readFile(maskLocation)
    expect(mask.length).toBeGreaterThan(64)
  })

  afterAll(async () => {
    process.chdir(cwd)
    await h?.close()
  })

  /** The response names no server path and holds no byte of `file`, neither as text nor as onnxruntime's decimal dump. */
  function expectNoLeak(text: string, file: Buffer): void {
    for (const path of [h.dataDir, tmpdir(), cwd, '/onnxruntime_src']) expect(text).not.toContain(path)
    expect(text).not.toContain(shapeDump(file.subarray(0, 16)).slice(1, -1))
    expect(text).not.toContain(file.subarray(0, 16).toString('latin1'))
    expect(text).not.toMatch(/\d+,\d+,\d+,\d+,\d+,\d+,\d+,\d+,\d+/)
  }

  it.each(EXTERNAL_DATA_VARIANTS)(
    '%s: a model reading the stored hidden mask gets 422 naming the tensor, with no byte of the mask',
    async (variant) => {
      const res = await upload(api, participant, externalDataAttackModel(variant, maskLocation, 16))
      const text = await res.text()
      expect(res.status).toBe(422)
      const body = JSON.parse(text) as ErrorBody
      expect(body.error.code).toBe('invalid_input')
      expect(body.error.details).toEqual({ part: 'model' })
      expect(body.error.message).toMatch(
        new RegExp(
          /^model: tensor "[a-z_]+" \(.+\) is stored as external data \(data_location EXTERNAL or external_data entries\); /.source +
            /external data is not accepted: embed the weights in the \.onnx file/.source,
        ),
      )
      expectNoLeak(text, mask)
    },
  )

  it('a model reading a planted secret in the working directory gets the same 422, with none of the secret', async () => {
    expect((await stat(join(process.cwd(), 'secret.txt'))).isFile()).toBe(true)
    const res = await upload(api, participant, externalDataAttackModel('initializer', 'secret.txt', SECRET.length))
    const text = await res.text()
    expect(res.status).toBe(422)
    expect((JSON.parse(text) as ErrorBody).error.message).toBe(
      'model: tensor "stolen" (initializer of graph "attack-initializer") ' +
        'is stored as external data (data_location EXTERNAL or external_data entries); ' +
        'external data is not accepted: embed the weights in the .onnx file ' +
        '(e.g. onnx.save_model(model, path, save_as_external_data=False))',
    )
    expectNoLeak(text, Buffer.from(SECRET))
    expect(text).not.toContain('hunter2')
    // Nothing was stored for the refused uploads.
    expect(await h.db.prisma.submission.count()).toBe(0)
    expect(await h.storage.list('submissions')).toEqual([])
  })

  it("onnxruntime's own failures reach the participant without server paths or value dumps", async () => {
    // A well-formed model that fails on the validation run, printing a 16-value shape from its own weights.
    const res = await upload(api, participant, embeddedShapeModel(Uint8Array.from({ length: 16 }, (_, i) => 200 + i)))
    const text = await res.text()
    expect(res.status).toBe(422)
    const message = (JSON.parse(text) as ErrorBody).error.message
    expect(message).toMatch(/^model: running one all-zero patch \[1, 1, 8, 8, 8\] failed \(.*requested shape:\{<16 values>\}/)
    expect(message.length).toBeLessThan(520)
    expectNoLeak(text, Buffer.from(Array.from({ length: 16 }, (_, i) => 200 + i)))
  })
})

/** The attack's graph with its shape bytes embedded (raw_data): it fails at run time the way the attack did. */
function embeddedShapeModel(shape: Uint8Array): Uint8Array {
  return encodeModel({
    name: 'embedded',
    inputs: [{ name: 'x', elemType: 'float32', shape: [1, 1, 'z', 'y', 'x'] }],
    outputs: [{ name: 'y', elemType: 'float32', shape: [1, 2, 'z', 'y', 'x'] }],
    nodes: [
      { op: 'Cast', inputs: ['stolen'], outputs: ['shape_u'], attributes: { to: { int: 7 } } },
      { op: 'ReduceMin', inputs: ['x'], outputs: ['zero_f'], attributes: { keepdims: { int: 0 } } },
      { op: 'Cast', inputs: ['zero_f'], outputs: ['zero'], attributes: { to: { int: 7 } } },
      { op: 'Add', inputs: ['shape_u', 'zero'], outputs: ['shape'] },
      { op: 'Reshape', inputs: ['x', 'shape'], outputs: ['reshaped'] },
      { op: 'ReduceSum', inputs: ['reshaped'], outputs: ['sum'], attributes: { keepdims: { int: 0 } } },
      { op: 'Add', inputs: ['x', 'sum'], outputs: ['xs'] },
      { op: 'Concat', inputs: ['xs', 'xs'], outputs: ['y'], attributes: { axis: { int: 1 } } },
    ],
    initializers: [{ name: 'stolen', dims: [16], data: shape }],
  })
}

/** Model processes (children of this process) whose working directory is a model sandbox. */
async function modelProcesses(): Promise<number[]> {
  const out: number[] = []
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const status = await readFile(`/proc/${entry}/status`, 'utf8')
      if (Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]) !== process.pid) continue
      if ((await readlink(`/proc/${entry}/cwd`)).startsWith(join(tmpdir(), 'spider-model-'))) out.push(Number(entry))
    } catch {
      // The process ended meanwhile.
    }
  }
  return out
}

describe('model validations are capped per API process (429 with Retry-After)', () => {
  let h: Harness
  let api: ReturnType<typeof apiClient>

  beforeAll(async () => {
    h = await startHarness('postgres', { maxConcurrentModelValidations: 1 })
    api = apiClient(h.url, h.dataDir)
    await setUpPhase(h, api)
  })

  afterAll(async () => {
    await h?.close()
  })

  it('with the cap at 1, a second upload while one model validates gets 429 with Retry-After; the place is given back after', async () => {
    const a = (await h.user('a', 'participant')).token
    const b = (await h.user('b', 'participant')).token
    // A's model never finishes its validation patch (24 wide layers on 96³): it holds the only place until its process ends.
    const hanging = { ...EXTERNAL_ATTACK_CONFIG, slidingWindow: { ...EXTERNAL_ATTACK_CONFIG.slidingWindow, patchSize: [96, 96, 96] } }
    const first = upload(api, a, slowModel(24), hanging)
    const gate = h.app.modelValidations
    let pids: number[] = []
    for (let i = 0; i < 3000 && pids.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 20))
      if (gate.active === 1) pids = await modelProcesses()
    }
    expect(gate.active).toBe(1)
    expect(pids).toHaveLength(1)

    const refused = await upload(api, b, fastModel())
    expect(refused.status).toBe(429)
    expect(refused.headers.get('retry-after')).toBe(String(VALIDATION_RETRY_AFTER_SECONDS))
    expect(((await refused.json()) as ErrorBody).error).toEqual({
      code: 'too_many_requests',
      message:
        'the server is validating 1 model already (at most 1 at once, MAX_CONCURRENT_MODEL_VALIDATIONS); ' +
        'send the submission again in a few seconds',
    })

    // End A's model process: its upload fails as a model problem (422) and the place is free again.
    process.kill(pids[0], 'SIGKILL')
    const ended = await first
    expect(ended.status).toBe(422)
    expect(((await ended.json()) as ErrorBody).error.message).toMatch(
      /^model: validation failed \(model-error: the model process exited unexpectedly \(signal SIGKILL\)/,
    )
    expect(gate.active).toBe(0)
    const retried = await upload(api, b, fastModel())
    expect(retried.status).toBe(202)
    expect(gate.active).toBe(0)
  })
})
