/**
 * Finding 2 (image bombs) and the upload side of finding 3 (label bomb). A 201-byte .nii.gz
 * claiming 2000³ float32 voxels made the API allocate 7.8 GB and stop answering; a small
 * compressed .mha inflating to 1 GiB cost 1.5 GB; a prediction with 65,535 labels was
 * accepted and then exhausted the scorer. Now images are read header first in
 * image-validation threads: a size other than the series', a data length that does not fit
 * the dimensions or more voxels than MAX_IMAGE_VOXELS are refused before a pixel is decoded,
 * compressed data inflates at most to the declared size, and a prediction with more than
 * MAX_PREDICTION_LABELS labels is refused at upload. /healthz answers throughout.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { deflateSync } from 'node:zlib'
import { startHarness, type Harness } from '../../apps/api/src/testing/harness.ts'
import { apiClient, PHASE_BODY } from '../../apps/api/src/testing/client.ts'
import type { TestEntry } from '../../apps/api/src/testing/archives.ts'
import { mhaBytes } from '../../apps/api/src/testing/images.ts'
import { labelBombMask, mhaInflateBomb, niftiHeaderBomb, SERIES_SIZE } from './attacks.ts'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeImage, type Image3D } from '@spider-bench/scoring'

interface ErrorBody {
  error: { code: string; message: string; details?: { problems?: string[] } }
}

const SERIES = '1_t1'
const [NX, NY, NZ] = SERIES_SIZE
const VOXELS = NX * NY * NZ

/** A MetaImage header (float32 unless said otherwise) followed by `data`. */
function mha(
  dims: readonly number[],
  data: Buffer,
  fields: string[] = ['ElementType = MET_FLOAT', 'CompressedData = True', `CompressedDataSize = ${data.length}`],
): Buffer {
  const header = [
    'ObjectType = Image',
    'NDims = 3',
    'BinaryData = True',
    'BinaryDataByteOrderMSB = False',
    `DimSize = ${dims.join(' ')}`,
    ...fields,
    'ElementDataFile = LOCAL',
    '',
  ].join('\n')
  return Buffer.concat([Buffer.from(header, 'latin1'), data])
}

async function imageBytes(image: Image3D): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'bomb-'))
  try {
    await writeImage(image, join(dir, 'x.mha'))
    return await readFile(join(dir, 'x.mha'))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

describe('image bombs and label bombs are refused at upload, off the event loop', () => {
  let h: Harness
  let api: ReturnType<typeof apiClient>
  let organiser: string
  let participant: string
  let gibStream: Buffer
  const submissions = `/api/v1/challenges/spine/phases/final/submissions`

  beforeAll(async () => {
    h = await startHarness('postgres')
    api = apiClient(h.url, h.dataDir)
    organiser = (await h.user('org', 'organiser')).token
    participant = (await h.user('mallory', 'participant')).token
    expect((await api.json(organiser, 'POST', '/api/v1/challenges', { slug: 'spine', title: 'Spine' })).status).toBe(201)
    expect((await api.json(organiser, 'POST', '/api/v1/challenges/spine/phases', PHASE_BODY)).status).toBe(201)
    const set = await api.archive([
      { name: `images/${SERIES}.mha`, data: await mhaBytes('image', { size: SERIES_SIZE }) },
      { name: `masks/${SERIES}.mha`, data: await mhaBytes('mask', { size: SERIES_SIZE }) },
    ])
    expect((await api.multipart(organiser, 'PUT', '/api/v1/challenges/spine/phases/final/test-set', { archive: set })).status).toBe(200)
    // The zlib stream of 1 GiB of zeros (about 1 MB), deflated chunk by chunk.
    const bomb = await mhaInflateBomb(1024 ** 3)
    const marker = 'ElementDataFile = LOCAL\n'
    gibStream = bomb.subarray(bomb.indexOf(marker) + marker.length)
  })
  afterAll(async () => {
    await h?.close()
  })

  /**
   * Runs an upload while a client polls /healthz back to back; returns the upload's answer
   * and the /healthz statuses seen while it was in flight.
   */
  async function duringUpload(upload: () => Promise<Response>): Promise<{ status: number; body: ErrorBody; healthz: number[] }> {
    const healthz: number[] = []
    let done = false
    const poller = (async () => {
      while (!done) healthz.push((await fetch(`${h.url}/healthz`)).status)
    })()
    try {
      const res = await upload()
      return { status: res.status, body: (await res.json()) as ErrorBody, healthz }
    } finally {
      done = true
      await poller
    }
  }

  async function predictions(entries: TestEntry[]) {
    const archive = await api.archive(entries)
    const r = await duringUpload(() => api.multipart(participant, 'POST', submissions, { kind: 'predictions', predictions: archive }))
    // /healthz answered while the upload was validated, every time.
    expect(r.healthz.length).toBeGreaterThan(0)
    expect(r.healthz.every((s) => s === 200)).toBe(true)
    expect(JSON.stringify(r.body)).not.toContain(h.dataDir)
    return r
  }

  it('a .nii.gz header claiming 2000³ float32 voxels: refused on its header (size), nothing decoded', async () => {
    const bomb = niftiHeaderBomb([2000, 2000, 2000])
    expect(bomb.length).toBeLessThan(256)
    const r = await predictions([{ name: `${SERIES}.nii.gz`, data: bomb }])
    expect(r.status).toBe(422)
    expect(r.body.error.details?.problems).toEqual([
      `${SERIES}.nii.gz: size 2000x2000x2000 differs from the size of test series "${SERIES}" (${NX}x${NY}x${NZ})`,
    ])
    // Image checks ran in a validation thread, not on the API's event loop.
    expect(h.app.imageValidator.threadCount).toBeGreaterThan(0)
  })

  it('a compressed float32 .mha inflating to 1 GiB: refused on its header, or stopped at the series size it declares', async () => {
    const declared1Gib = await predictions([{ name: `${SERIES}.mha`, data: mha([512, 512, 1024], gibStream) }])
    expect(declared1Gib.status).toBe(422)
    expect(declared1Gib.body.error.details?.problems).toEqual([
      `${SERIES}.mha: size 512x512x1024 differs from the size of test series "${SERIES}" (${NX}x${NY}x${NZ})`,
    ])
    // Same stream under a header of the series' size: inflation stops past 4 × 778,532 bytes.
    const rightSize = await predictions([{ name: `${SERIES}.mha`, data: mha(SERIES_SIZE, gibStream) }])
    expect(rightSize.status).toBe(422)
    expect(rightSize.body.error.details?.problems).toEqual([
      `${SERIES}.mha: compressed data decompresses to more than the ${4 * VOXELS} bytes its header declares`,
    ])
  })

  it('a .mha whose data length does not match its dimensions (raw data, CompressedDataSize)', async () => {
    const raw = await predictions([
      { name: `${SERIES}.mha`, data: mha(SERIES_SIZE, Buffer.alloc(1000), ['ElementType = MET_UCHAR', 'CompressedData = False']) },
    ])
    expect(raw.status).toBe(422)
    expect(raw.body.error.details?.problems).toEqual([
      `${SERIES}.mha: truncated file: pixel data needs ${VOXELS} bytes, the file holds 1000`,
    ])
    const zlib = deflateSync(Buffer.alloc(VOXELS))
    const declared = await predictions([
      {
        name: `${SERIES}.mha`,
        data: mha(SERIES_SIZE, zlib, ['ElementType = MET_UCHAR', 'CompressedData = True', `CompressedDataSize = ${zlib.length + 500}`]),
      },
    ])
    expect(declared.status).toBe(422)
    expect(declared.body.error.details?.problems).toEqual([
      `${SERIES}.mha: truncated file: compressed data needs ${zlib.length + 500} bytes, the file holds ${zlib.length}`,
    ])
  })

  it('a prediction of the right size with 65,535 labels: refused with its label count and the cap (MAX_PREDICTION_LABELS)', async () => {
    const r = await predictions([{ name: `${SERIES}.mha`, data: await imageBytes(labelBombMask(SERIES_SIZE, 65_535)) }])
    expect(r.status).toBe(422)
    expect(r.body.error.details?.problems).toEqual([
      `${SERIES}.mha: 65535 distinct labels, at most ${h.config.maxPredictionLabels} are accepted ` +
        '(SPIDER masks have fewer than 100 structures)',
    ])
    expect(await h.db.prisma.submission.count()).toBe(0)
  })

  it('an organiser’s test set: the header bomb is refused for its voxel count (MAX_IMAGE_VOXELS)', async () => {
    const bomb = niftiHeaderBomb([2000, 2000, 2000])
    const archive = await api.archive([
      { name: 'images/2_t1.nii.gz', data: bomb },
      { name: 'masks/2_t1.nii.gz', data: bomb },
    ])
    const r = await duringUpload(() => api.multipart(organiser, 'PUT', '/api/v1/challenges/spine/phases/final/test-set', { archive }))
    expect(r.status).toBe(422)
    expect(r.body.error.details?.problems).toEqual([
      `masks/2_t1.nii.gz: size 2000x2000x2000 is 8000000000 voxels, more than the ${h.config.maxImageVoxels} allowed`,
    ])
    expect(r.healthz.length).toBeGreaterThan(0)
    expect(r.healthz.every((s) => s === 200)).toBe(true)
  })

  it('still accepts a valid prediction of the series', async () => {
    const r = await predictions([{ name: `${SERIES}.mha`, data: await mhaBytes('mask', { size: SERIES_SIZE }) }])
    expect(r.status).toBe(202)
  })
})
