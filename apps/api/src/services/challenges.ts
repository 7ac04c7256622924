import type { Config } from '@spider-bench/config'
import { Prisma, type PrismaClient } from '@spider-bench/db'
import { isProfileName, profileMetrics } from '@spider-bench/scoring'
import { badRequest, conflict, forbidden, notFound } from '../errors.ts'
import type { AuthUser } from '../types.ts'
import type { ChallengeView, CreateChallenge, CreatePhase, PhaseView, UpdatePhase } from '../schemas/challenge.ts'

type PhaseRow = Prisma.PhaseGetPayload<{
  include: { testSets: { include: { series: { select: { name: true; sequence: true; size: true } } } } }
}>
type ChallengeRow = Prisma.ChallengeGetPayload<{
  include: {
    owner: true
    phases: { include: { testSets: { include: { series: { select: { name: true; sequence: true; size: true } } } } } }
  }
}>
export type PhaseWithChallenge = Prisma.PhaseGetPayload<{ include: { challenge: true } }>

const phaseInclude = {
  testSets: {
    where: { public: false },
    orderBy: { version: 'desc' as const },
    take: 1,
    include: { series: { select: { name: true, sequence: true, size: true }, orderBy: { name: 'asc' as const } } },
  },
}
const challengeInclude = { owner: true, phases: { include: phaseInclude, orderBy: { createdAt: 'asc' as const } } }

export function phaseView(p: PhaseRow, resources: PhaseView['resources']): PhaseView {
  const current = p.testSets[0]
  return {
    slug: p.slug,
    title: p.title,
    scoringProfile: p.scoringProfile,
    submissionKinds: p.submissionKinds,
    ranking: {
      method: p.rankingMethod,
      metrics: p.rankingMetrics as PhaseView['ranking']['metrics'],
      bootstrapSamples: p.bootstrapSamples,
      significanceLevel: p.significanceLevel,
    },
    entries: p.entries,
    submissionLimit:
      p.submissionLimitCount != null && p.submissionLimitPeriodHours != null
        ? { count: p.submissionLimitCount, periodHours: p.submissionLimitPeriodHours }
        : null,
    opensAt: p.opensAt?.toISOString() ?? null,
    closesAt: p.closesAt?.toISOString() ?? null,
    perSeriesVisibility: p.perSeriesVisibility,
    testSet: current
      ? {
          version: current.version,
          count: current.seriesCount,
          createdAt: current.createdAt.toISOString(),
          // Participants who upload predictions hold the test images, so names and voxel grid
          // sizes are theirs already (a 422 lists them too); an algorithm-only phase keeps them.
          ...(p.submissionKinds.includes('predictions')
            ? { series: current.series.map((s) => ({ name: s.name, sequence: s.sequence, size: s.size as number[] })) }
            : {}),
        }
      : null,
    resources,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  }
}

/** What an algorithm gets on this server (the same for every phase): INFERENCE_* and the upload limit. */
export function phaseResources(config: Config): PhaseView['resources'] {
  return {
    inferenceTimePerSeriesMs: config.inference.timeLimitMs,
    memoryLimitMb: config.inference.memoryLimitMb,
    executionProviders: [...config.inference.providers],
    maxModelBytes: config.maxUploadBytes,
  }
}

function challengeView(c: ChallengeRow, resources: PhaseView['resources']): ChallengeView {
  return {
    slug: c.slug,
    title: c.title,
    description: c.description,
    owner: c.owner.name,
    createdAt: c.createdAt.toISOString(),
    phases: c.phases.map((p) => phaseView(p, resources)),
  }
}

/** Admins manage everything; organisers the challenges they own. */
export function canManage(user: AuthUser | null, challenge: { ownerId: string }): boolean {
  return !!user && (user.role === 'admin' || (user.role === 'organiser' && challenge.ownerId === user.id))
}

export function assertCanManage(user: AuthUser, challenge: { ownerId: string; slug: string }): void {
  if (!canManage(user, challenge)) throw forbidden(`only the owner of challenge "${challenge.slug}" or an admin may do this`)
}

const isUniqueViolation = (err: unknown) => err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002'

export async function listChallenges(db: PrismaClient, resources: PhaseView['resources']): Promise<ChallengeView[]> {
  const rows = await db.challenge.findMany({ include: challengeInclude, orderBy: { createdAt: 'asc' } })
  return rows.map((c) => challengeView(c, resources))
}

export async function findChallenge(db: PrismaClient, slug: string) {
  const c = await db.challenge.findUnique({ where: { slug } })
  if (!c) throw notFound(`no challenge "${slug}"`)
  return c
}

export async function getChallenge(db: PrismaClient, slug: string, resources: PhaseView['resources']): Promise<ChallengeView> {
  const c = await db.challenge.findUnique({ where: { slug }, include: challengeInclude })
  if (!c) throw notFound(`no challenge "${slug}"`)
  return challengeView(c, resources)
}

export async function createChallenge(
  db: PrismaClient,
  user: AuthUser,
  body: CreateChallenge,
  resources: PhaseView['resources'],
): Promise<ChallengeView> {
  try {
    const c = await db.challenge.create({
      data: { slug: body.slug, title: body.title, description: body.description ?? null, ownerId: user.id },
      include: challengeInclude,
    })
    return challengeView(c, resources)
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`a challenge with slug "${body.slug}" already exists`)
    throw err
  }
}

export async function findPhase(db: PrismaClient, challengeSlug: string, phaseSlug: string): Promise<PhaseWithChallenge> {
  const challenge = await findChallenge(db, challengeSlug)
  const phase = await db.phase.findUnique({
    where: { challengeId_slug: { challengeId: challenge.id, slug: phaseSlug } },
    include: { challenge: true },
  })
  if (!phase) throw notFound(`challenge "${challengeSlug}" has no phase "${phaseSlug}"`)
  return phase
}

function parseDate(field: string, value: string | null | undefined): Date | null | undefined {
  if (value === undefined || value === null) return value
  const d = new Date(value)
  if (Number.isNaN(d.getTime())) throw badRequest(`${field} is not a valid date-time: "${value}"`)
  return d
}

function phaseData(body: UpdatePhase) {
  const data: Prisma.PhaseUncheckedUpdateInput = {}
  if (body.slug !== undefined) data.slug = body.slug
  if (body.title !== undefined) data.title = body.title
  if (body.scoringProfile !== undefined) data.scoringProfile = body.scoringProfile
  if (body.submissionKinds !== undefined) data.submissionKinds = body.submissionKinds
  if (body.ranking !== undefined) {
    const keys = body.ranking.metrics.map((m) => m.key)
    const dup = keys.find((k, i) => keys.indexOf(k) !== i)
    if (dup) throw badRequest(`ranking.metrics lists "${dup}" twice`)
    data.rankingMethod = body.ranking.method
    data.rankingMetrics = body.ranking.metrics
    if (body.ranking.bootstrapSamples !== undefined) data.bootstrapSamples = body.ranking.bootstrapSamples
    if (body.ranking.significanceLevel !== undefined) data.significanceLevel = body.ranking.significanceLevel
  }
  if (body.entries !== undefined) data.entries = body.entries
  if (body.submissionLimit !== undefined) {
    data.submissionLimitCount = body.submissionLimit?.count ?? null
    data.submissionLimitPeriodHours = body.submissionLimit?.periodHours ?? null
  }
  if (body.opensAt !== undefined) data.opensAt = parseDate('opensAt', body.opensAt)
  if (body.closesAt !== undefined) data.closesAt = parseDate('closesAt', body.closesAt)
  if (body.perSeriesVisibility !== undefined) data.perSeriesVisibility = body.perSeriesVisibility
  return data
}

/** Ranking keys must be metrics of the phase's scoring profile. */
function checkRankingKeys(profile: string, metrics: ReadonlyArray<{ key: string }>): void {
  if (!isProfileName(profile)) throw badRequest(`unknown scoring profile "${profile}"`)
  const known = profileMetrics(profile).map((m) => m.key)
  const unknown = metrics.filter((m) => !known.includes(m.key)).map((m) => `"${m.key}"`)
  if (unknown.length > 0)
    throw badRequest(
      `ranking.metrics: ${unknown.join(', ')} ${unknown.length === 1 ? 'is not a metric' : 'are not metrics'} ` +
        `of profile "${profile}" (known: ${known.join(', ')})`,
    )
}

function checkWindow(opensAt: Date | null | undefined, closesAt: Date | null | undefined): void {
  if (opensAt && closesAt && opensAt.getTime() >= closesAt.getTime()) {
    throw badRequest(`opensAt (${opensAt.toISOString()}) must be before closesAt (${closesAt.toISOString()})`)
  }
}

export async function createPhase(
  db: PrismaClient,
  user: AuthUser,
  challengeSlug: string,
  body: CreatePhase,
  resources: PhaseView['resources'],
): Promise<PhaseView> {
  const challenge = await findChallenge(db, challengeSlug)
  assertCanManage(user, challenge)
  const data = phaseData(body)
  checkRankingKeys(body.scoringProfile, body.ranking.metrics)
  checkWindow(data.opensAt as Date | null | undefined, data.closesAt as Date | null | undefined)
  try {
    const p = await db.phase.create({
      data: {
        challengeId: challenge.id,
        slug: body.slug,
        title: body.title,
        scoringProfile: body.scoringProfile,
        submissionKinds: body.submissionKinds,
        rankingMethod: body.ranking.method,
        rankingMetrics: body.ranking.metrics,
        // Absent: the column defaults (1000 samples, 0.05).
        bootstrapSamples: body.ranking.bootstrapSamples,
        significanceLevel: body.ranking.significanceLevel,
        entries: body.entries,
        submissionLimitCount: body.submissionLimit?.count ?? null,
        submissionLimitPeriodHours: body.submissionLimit?.periodHours ?? null,
        opensAt: (data.opensAt as Date | null | undefined) ?? null,
        closesAt: (data.closesAt as Date | null | undefined) ?? null,
        perSeriesVisibility: body.perSeriesVisibility,
      },
      include: phaseInclude,
    })
    return phaseView(p, resources)
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`challenge "${challengeSlug}" already has a phase "${body.slug}"`)
    throw err
  }
}

export async function updatePhase(
  db: PrismaClient,
  user: AuthUser,
  challengeSlug: string,
  phaseSlug: string,
  body: UpdatePhase,
  resources: PhaseView['resources'],
): Promise<PhaseView> {
  const phase = await findPhase(db, challengeSlug, phaseSlug)
  assertCanManage(user, phase.challenge)
  const data = phaseData(body)
  const opensAt = data.opensAt !== undefined ? (data.opensAt as Date | null) : phase.opensAt
  const closesAt = data.closesAt !== undefined ? (data.closesAt as Date | null) : phase.closesAt
  checkWindow(opensAt, closesAt)
  if (body.ranking || body.scoringProfile)
    checkRankingKeys(body.scoringProfile ?? phase.scoringProfile, body.ranking?.metrics ?? (phase.rankingMetrics as Array<{ key: string }>))
  try {
    const p = await db.phase.update({ where: { id: phase.id }, data, include: phaseInclude })
    return phaseView(p, resources)
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`challenge "${challengeSlug}" already has a phase "${body.slug}"`)
    throw err
  }
}

/** Changes a challenge's title and description (its owner or an admin). */
export async function updateChallenge(
  db: PrismaClient,
  user: AuthUser,
  slug: string,
  body: { title?: string; description?: string | null },
  resources: PhaseView['resources'],
): Promise<ChallengeView> {
  const challenge = await findChallenge(db, slug)
  assertCanManage(user, challenge)
  const c = await db.challenge.update({
    where: { id: challenge.id },
    data: {
      ...(body.title !== undefined ? { title: body.title } : {}),
      ...(body.description !== undefined ? { description: body.description } : {}),
    },
    include: challengeInclude,
  })
  return challengeView(c, resources)
}
