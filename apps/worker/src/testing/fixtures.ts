/**
 * Seeded synthetic fixtures for worker tests: small block-shaped spine masks (vertebrae,
 * discs, canal), predictions of known quality, and the database rows of a phase with a test
 * set, participants, submissions and evaluations.
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Prisma, PrismaClient } from '@spider-bench/db'
import { sequenceOf, writeImage, type Image3D } from '@spider-bench/scoring'
import type { Storage } from '@spider-bench/storage'

export type Quality = 'perfect' | 'shift1' | 'shift2' | 'drop'

/** A mask of `nx × ny × nz` voxels: three vertebrae, two discs, a canal; `seed` varies sizes. */
export function makeMask(seed: number, [nx, ny, nz]: [number, number, number] = [28, 40, 8]): Image3D {
  const data = new Uint16Array(nx * ny * nz)
  const put = (x0: number, x1: number, y0: number, y1: number, z0: number, z1: number, v: number) => {
    for (let z = z0; z < z1; z++) for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) data[x + nx * (y + ny * z)] = v
  }
  const w = 10 + (seed % 3)
  for (let i = 0; i < 3; i++) {
    const y0 = 2 + i * 12
    put(4, 4 + w, y0, y0 + 8, 1, nz - 1, i + 1)
    if (i < 2) put(5, 3 + w, y0 + 8, y0 + 11, 2, nz - 2, 201 + i)
  }
  put(4 + w + 2, 4 + w + 5, 1, ny - 1, 2, nz - 2, 100)
  return {
    size: [nx, ny, nz],
    spacing: [0.6, 0.6, 3.3],
    origin: [0, 0, 0],
    direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    componentType: 'uint16',
    data,
  }
}

/** A prediction of the mask with a known defect: shifted along x, or vertebra 1 missing. */
export function predictionOf(mask: Image3D, quality: Quality): Image3D {
  const [nx, ny, nz] = mask.size
  const data = new Uint16Array(mask.data.length)
  const shift = quality === 'shift1' ? 1 : quality === 'shift2' ? 2 : 0
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++) {
        const v = Number(mask.data[x + nx * (y + ny * z)])
        const tx = x + shift
        if (tx < nx) data[tx + nx * (y + ny * z)] = quality === 'drop' && v === 1 ? 0 : v
      }
  return { ...mask, data }
}

export const SERIES_NAMES = ['1_t1', '1_t2', '2_t1', '2_t2', '3_t2_SPACE']

/** Nearest-neighbour upsampling in x and y by an integer factor (bigger, slower series). */
export function upsample(image: Image3D, f: number): Image3D {
  if (f === 1) return image
  const [nx, ny, nz] = image.size
  const data = new Uint16Array(nx * f * ny * f * nz)
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny * f; y++)
      for (let x = 0; x < nx * f; x++)
        data[x + nx * f * (y + ny * f * z)] = Number(image.data[Math.floor(x / f) + nx * (Math.floor(y / f) + ny * z)])
  return { ...image, size: [nx * f, ny * f, nz], spacing: [image.spacing[0] / f, image.spacing[1] / f, image.spacing[2]], data }
}

/** Writes masks (and, per quality, predictions) to `dir/masks` and `dir/pred-<quality>`. */
export async function writeFixtureFiles(dir: string, qualities: readonly Quality[], names = SERIES_NAMES, scale = 1): Promise<void> {
  await mkdir(join(dir, 'masks'), { recursive: true })
  for (const q of qualities) await mkdir(join(dir, `pred-${q}`), { recursive: true })
  for (const [i, name] of names.entries()) {
    const mask = upsample(makeMask(i), scale)
    await writeImage(mask, join(dir, 'masks', `${name}.mha`))
    for (const q of qualities) await writeImage(predictionOf(mask, q), join(dir, `pred-${q}`, `${name}.mha`))
  }
}

export interface SeededPhase {
  readonly phaseId: string
  readonly testSetId: string
  readonly series: Array<{ id: string; name: string }>
}

/** A challenge, a phase and test set version 1 whose masks are stored under `testsets/`. */
export async function seedPhase(
  prisma: PrismaClient,
  storage: Storage,
  dir: string,
  options: { names?: string[]; rankingMethod?: string; entries?: string; rankingMetrics?: unknown } = {},
): Promise<SeededPhase> {
  const names = options.names ?? SERIES_NAMES
  const owner = await prisma.user.create({ data: { name: `org-${Date.now()}-${Math.random()}`, role: 'organiser' } })
  const challenge = await prisma.challenge.create({ data: { slug: `c-${Date.now().toString(36)}`, title: 'Test', ownerId: owner.id } })
  const phase = await prisma.phase.create({
    data: {
      challengeId: challenge.id,
      slug: 'test',
      title: 'Test phase',
      scoringProfile: 'spider',
      submissionKinds: ['predictions'],
      rankingMethod: options.rankingMethod ?? 'mean-position',
      rankingMetrics: (options.rankingMetrics ?? [
        { key: 'DiceVertebrae', order: 'desc' },
        { key: 'ASDVertebrae', order: 'asc' },
      ]) as Prisma.InputJsonValue,
      entries: options.entries ?? 'best',
      perSeriesVisibility: 'owner',
    },
  })
  const testSet = await prisma.testSetVersion.create({ data: { phaseId: phase.id, version: 1, seriesCount: names.length } })
  const series = []
  for (const name of names) {
    const mask = await storage.put(`testsets/${testSet.id}/masks/${name}.mha`, await readBytes(join(dir, 'masks', `${name}.mha`)))
    const row = await prisma.testSeries.create({
      data: {
        testSetId: testSet.id,
        name,
        sequence: sequenceOf(name),
        imageKey: mask.key,
        imageSha256: mask.sha256,
        maskKey: mask.key,
        maskSha256: mask.sha256,
        size: [28, 40, 8],
        spacing: [0.6, 0.6, 3.3],
        origin: [0, 0, 0],
        direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
        labels: [1, 2, 3, 100, 201, 202],
      },
    })
    series.push({ id: row.id, name })
  }
  return { phaseId: phase.id, testSetId: testSet.id, series }
}

/** A participant's submission of `dir/pred-<quality>` with a queued evaluation; returns ids. */
export async function seedSubmission(
  prisma: PrismaClient,
  storage: Storage,
  dir: string,
  phase: SeededPhase,
  participant: string,
  quality: Quality,
  createdAt = new Date(),
): Promise<{ submissionId: string; evaluationId: string }> {
  const user =
    (await prisma.user.findUnique({ where: { name: participant } })) ??
    (await prisma.user.create({ data: { name: participant, role: 'participant' } }))
  const submission = await prisma.submission.create({
    data: { phaseId: phase.phaseId, participantId: user.id, kind: 'predictions', storagePrefix: 'pending', createdAt },
  })
  const files: Record<string, string> = {}
  for (const s of phase.series) {
    const stored = await storage.put(
      `submissions/${submission.id}/predictions/${s.name}.mha`,
      await readBytes(join(dir, `pred-${quality}`, `${s.name}.mha`)),
    )
    files[s.name] = stored.key
  }
  await prisma.submission.update({ where: { id: submission.id }, data: { storagePrefix: `submissions/${submission.id}`, files } })
  const evaluation = await prisma.evaluation.create({
    data: { submissionId: submission.id, testSetId: phase.testSetId, profile: 'spider', scorerVersion: 'test' },
  })
  return { submissionId: submission.id, evaluationId: evaluation.id }
}

async function readBytes(file: string): Promise<Buffer> {
  const { readFile } = await import('node:fs/promises')
  return readFile(file)
}
