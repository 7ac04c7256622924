import { randomUUID } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Prisma, type PrismaClient } from '@spider-bench/db'
import { imageBaseName, IMAGE_EXTENSIONS, sequenceOf } from '@spider-bench/scoring'
import { ApiError, badRequest, unprocessable } from '../errors.ts'
import { ArchiveError, extractArchive, type ExtractedFile } from '../lib/archive.ts'
import { parseCsv } from '../lib/csv.ts'
import type { ReceivedUpload } from '../lib/receive-upload.ts'
import { settleAll, settleEach } from '../lib/settle-all.ts'
import type { AuthUser } from '../types.ts'
import { assertCanManage, findPhase, type PhaseWithChallenge } from './challenges.ts'
import type { ServiceDeps, UploadValidators } from './deps.ts'

export interface TestSetImportResult {
  version: number
  count: number
  series: Array<{ name: string; sequence: string }>
}

interface PlannedSeries {
  name: string
  image: ExtractedFile
  mask: ExtractedFile
}

/** Files stored at once by one upload (a round trip each to an object store). */
export const STORE_CONCURRENCY = 8

const extOf = (path: string) => IMAGE_EXTENSIONS.find((e) => path.toLowerCase().endsWith(e)) ?? ''

/** Converts an archive problem into the API's answer. */
export function archiveFailure(err: unknown): never {
  if (err instanceof ArchiveError) {
    if (err.status === 413) throw new ApiError(413, 'payload_too_large', err.message)
    throw unprocessable(err.message, err.problems.length > 0 ? { problems: err.problems } : undefined)
  }
  throw err
}

/**
 * Finds `images/`, `masks/` and `overview.csv` (at the archive root or under one top folder)
 * and pairs images with masks by base name; every stray, unpaired or duplicated file is a
 * problem.
 */
export function planTestSet(files: ExtractedFile[]): { series: PlannedSeries[]; overview: ExtractedFile | null; problems: string[] } {
  const problems: string[] = []
  const marker = files
    .map((f) => f.path.split('/'))
    .find((parts) => parts.length >= 2 && ['images', 'masks'].includes(parts[parts.length - 2]))
  const root = marker ? marker.slice(0, -2).join('/') : ''
  const prefix = root ? `${root}/` : ''
  const images = new Map<string, ExtractedFile>()
  const masks = new Map<string, ExtractedFile>()
  let overview: ExtractedFile | null = null
  for (const f of files) {
    const rel = f.path.startsWith(prefix) ? f.path.slice(prefix.length) : null
    if (rel === 'overview.csv') {
      overview = f
      continue
    }
    const parts = rel?.split('/') ?? []
    if (parts.length !== 2 || (parts[0] !== 'images' && parts[0] !== 'masks')) {
      problems.push(
        `${f.path}: unexpected file ` +
          `(expected ${prefix}images/<series>.mha, ${prefix}masks/<series>.mha and optionally ${prefix}overview.csv)`,
      )
      continue
    }
    const name = imageBaseName(parts[1])
    if (!name) {
      problems.push(`${f.path}: not an image file (expected one of ${IMAGE_EXTENSIONS.join(', ')})`)
      continue
    }
    const into = parts[0] === 'images' ? images : masks
    const prior = into.get(name)
    if (prior) {
      problems.push(`${f.path}: series "${name}" already has ${prior.path}`)
      continue
    }
    into.set(name, f)
  }
  if (!marker) problems.push('the archive has no images/ and masks/ folders')
  const series: PlannedSeries[] = []
  for (const [name, mask] of masks) {
    const image = images.get(name)
    if (!image) problems.push(`${mask.path}: no image ${prefix}images/${name}${extOf(mask.path)} for this mask`)
    else series.push({ name, image, mask })
  }
  for (const [name, image] of images)
    if (!masks.has(name)) problems.push(`${image.path}: no mask ${prefix}masks/${name}${extOf(image.path)} for this image`)
  series.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  return { series, overview, problems }
}

type Geometry = { size: number[]; spacing: number[]; origin: number[]; direction: number[] }

/** overview.csv rows keyed by the series name found in any of their cells. */
async function readOverview(file: ExtractedFile, names: Set<string>, problems: string[]): Promise<Map<string, Record<string, string>>> {
  const out = new Map<string, Record<string, string>>()
  let rows: string[][]
  try {
    rows = parseCsv(await readFile(file.file, 'utf8'))
  } catch (err) {
    problems.push(`${file.path}: not a readable CSV file (${(err as Error).message})`)
    return out
  }
  if (rows.length === 0) return out
  const header = rows[0]
  for (const [i, row] of rows.slice(1).entries()) {
    if (row.length !== header.length) {
      problems.push(`${file.path}: line ${i + 2} has ${row.length} fields, the header has ${header.length}`)
      continue
    }
    const name = row.find((cell) => names.has(cell))
    if (name) out.set(name, Object.fromEntries(header.map((h, j) => [h, row[j]])))
  }
  return out
}

/** PUT .../test-set or .../sanity-set, before the body is read: the phase, which `user` must manage. */
export async function testSetPhase(
  db: PrismaClient,
  user: AuthUser,
  challengeSlug: string,
  phaseSlug: string,
): Promise<PhaseWithChallenge> {
  const phase = await findPhase(db, challengeSlug, phaseSlug)
  assertCanManage(user, phase.challenge)
  return phase
}

/** One test-set upload per phase in flight (hidden or public), across API processes. */
export function testSetUploadSlot(phase: PhaseWithChallenge): { key: string; busy: string } {
  return {
    key: `test-set:${phase.id}`,
    busy:
      `a test-set upload to phase "${phase.slug}" is already in progress (being received or validated); ` +
      'wait for its answer before uploading again',
  }
}

/**
 * PUT .../test-set, once the body is received: validates the whole archive (every problem
 * listed), stores the files, then records a new hidden test-set version (`isPublic`: public
 * sanity cases, the canary runs of algorithms) in one transaction. A failure at any step
 * leaves no stored file and no row behind.
 */
export async function storeTestSet(
  deps: ServiceDeps,
  validators: UploadValidators,
  phase: PhaseWithChallenge,
  user: AuthUser,
  upload: ReceivedUpload,
  isPublic: boolean,
): Promise<TestSetImportResult> {
  const testSetId = randomUUID()
  const prefix = `testsets/${phase.id}/${testSetId}`
  let stored = false
  try {
    const archive = upload.files.archive
    if (!archive) throw badRequest('missing file field "archive" (a .zip or .tar.gz of images/ and masks/)')
    const files = await extractArchive(archive.path, join(upload.dir, 'x'), {
      maxEntries: deps.config.maxArchiveEntries,
      maxBytes: deps.config.maxArchiveBytes,
    }).catch(archiveFailure)
    const plan = planTestSet(files)
    const problems = [...plan.problems]
    // Decoded and checked in image-validation threads, never on this event loop: headers first
    // (MAX_IMAGE_VOXELS, data length, mask and image on one grid), bounded decompression.
    const results = await settleAll(
      plan.series.map((s) =>
        validators.images.run({ kind: 'test-series', image: s.image, mask: s.mask, maxVoxels: deps.config.maxImageVoxels }),
      ),
    )
    const checked: Array<PlannedSeries & { geometry: Geometry; labels: number[] }> = []
    plan.series.forEach((s, i) => {
      const r = results[i]
      if (r.problem === null) checked.push({ ...s, geometry: r.geometry, labels: r.labels })
      else problems.push(r.problem)
    })
    const meta = plan.overview ? await readOverview(plan.overview, new Set(plan.series.map((s) => s.name)), problems) : new Map()
    if (checked.length === 0 && problems.length === 0) problems.push('the archive holds no series')
    if (problems.length > 0)
      throw unprocessable(`the test set has ${problems.length} problem${problems.length === 1 ? '' : 's'}`, { problems })

    stored = true
    // Several series at once: each file is a round trip to an object store.
    const rows = await settleEach(checked, STORE_CONCURRENCY, async (s): Promise<Prisma.TestSeriesCreateWithoutTestSetInput> => {
      const image = await deps.storage.put(`${prefix}/images/${s.name}${extOf(s.image.path)}`, createReadStream(s.image.file))
      const mask = await deps.storage.put(`${prefix}/masks/${s.name}${extOf(s.mask.path)}`, createReadStream(s.mask.file))
      const g = s.geometry
      return {
        name: s.name,
        sequence: sequenceOf(s.name),
        imageKey: image.key,
        imageSha256: image.sha256,
        maskKey: mask.key,
        maskSha256: mask.sha256,
        size: [...g.size],
        spacing: [...g.spacing],
        origin: [...g.origin],
        direction: [...g.direction],
        labels: s.labels,
        meta: meta.get(s.name) ?? Prisma.DbNull,
      }
    })
    const version = await createVersion(deps.db, phase.id, testSetId, user.id, rows, isPublic)
    return { version, count: rows.length, series: rows.map((r) => ({ name: r.name, sequence: r.sequence })) }
  } catch (err) {
    if (stored)
      await deps.storage
        .deletePrefix(prefix)
        .catch((e: unknown) => deps.log.error({ err: e }, 'could not remove the files of a failed test-set import'))
    throw err
  }
}

async function createVersion(
  db: PrismaClient,
  phaseId: string,
  id: string,
  userId: string,
  series: Prisma.TestSeriesCreateWithoutTestSetInput[],
  isPublic: boolean,
): Promise<number> {
  // Two concurrent imports may pick the same next version; the unique index decides, we retry.
  for (let attempt = 0; ; attempt++) {
    const last = await db.testSetVersion.findFirst({
      where: { phaseId, public: isPublic },
      orderBy: { version: 'desc' },
      select: { version: true },
    })
    const version = (last?.version ?? 0) + 1
    try {
      await db.testSetVersion.create({
        data: { id, phaseId, version, public: isPublic, seriesCount: series.length, createdById: userId, series: { create: series } },
      })
      return version
    } catch (err) {
      if (attempt < 3 && err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') continue
      throw err
    }
  }
}
