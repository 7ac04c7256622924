import { randomUUID } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Prisma, PrismaClient } from '@spider-bench/db'
import {
  ACTIVE_STATUSES,
  enqueueOrLeaveToReconciler,
  evaluationMovingTo,
  evaluationRow,
  latestTestSet,
  STATUS,
  statusIn,
  submissionMovingTo,
} from '@spider-bench/evaluation'
import { imageBaseName, IMAGE_EXTENSIONS } from '@spider-bench/scoring'
import { badRequest, conflict, forbidden, notFound, unprocessable } from '../errors.ts'
import { extractArchive, predictionArchiveLimits } from '../lib/archive.ts'
import { retryWhileDatabaseUnavailable } from '../lib/database-unavailable.ts'
import type { ReceivedUpload } from '../lib/receive-upload.ts'
import { settleAll, settleEach } from '../lib/settle-all.ts'
import type { SubmissionView } from '../schemas/submission.ts'
import type { AuthUser } from '../types.ts'
import { canManage, findPhase, type PhaseWithChallenge } from './challenges.ts'
import { restrictAggregates, seesFullAggregates } from './aggregate-visibility.ts'
import type { ServiceDeps, UploadValidators } from './deps.ts'
import { assertCanSee, findSubmission } from './evaluations.ts'
import { assertNoActiveSubmission, assertPhaseOpen, assertWithinLimit } from './submission-rules.ts'
import { archiveFailure, STORE_CONCURRENCY } from './test-sets.ts'

const extOf = (path: string) => IMAGE_EXTENSIONS.find((e) => path.toLowerCase().endsWith(e)) ?? ''

type TestSeriesRow = { id: string; name: string; size: Prisma.JsonValue }
type CurrentTestSet = { id: string; version: number; series: TestSeriesRow[] }

/** What the upload turned into: files to store (key → local file) and the row's fields. */
interface PreparedSubmission {
  readonly kind: 'predictions' | 'algorithm'
  readonly files: Array<{ key: string; file: string }>
  readonly filesJson: Record<string, string>
  readonly config: Prisma.InputJsonValue | null
}

const testSetSelect = {
  id: true,
  version: true,
  series: { select: { id: true, name: true, size: true }, orderBy: { name: 'asc' as const } },
} as const

async function currentTestSet(db: PrismaClient, phaseId: string): Promise<CurrentTestSet | null> {
  return db.testSetVersion.findFirst({ where: { phaseId, public: false }, orderBy: { version: 'desc' }, select: testSetSelect })
}

/** The checks that need no upload: cheap, so they run before the body is read. */
async function admissionChecks(db: Pick<PrismaClient, 'submission'>, phase: PhaseWithChallenge, user: AuthUser, now: Date): Promise<void> {
  assertPhaseOpen(phase, now)
  const active = await db.submission.findFirst({
    where: { phaseId: phase.id, participantId: user.id, status: statusIn(ACTIVE_STATUSES) },
    select: { id: true, status: true },
  })
  assertNoActiveSubmission(active)
  if (phase.submissionLimitCount != null && phase.submissionLimitPeriodHours != null) {
    const since = new Date(now.getTime() - phase.submissionLimitPeriodHours * 3_600_000)
    const recent = await db.submission.findMany({
      where: { phaseId: phase.id, participantId: user.id, countsTowardLimit: true, createdAt: { gt: since } },
      select: { createdAt: true },
    })
    assertWithinLimit(
      { count: phase.submissionLimitCount, periodHours: phase.submissionLimitPeriodHours },
      recent.map((r) => r.createdAt),
      now,
    )
  }
}

/**
 * Checks a predictions archive against the hidden test set: one readable label image per
 * test series, matched by base name at any folder depth, with the series' voxel grid size.
 * Every problem is listed; the messages name only the participant's own files and the
 * series names and sizes, which the phase reveals anyway.
 */
async function preparePredictions(
  deps: ServiceDeps,
  validators: UploadValidators,
  upload: ReceivedUpload,
  testSet: CurrentTestSet,
  prefix: string,
): Promise<PreparedSubmission> {
  const archive = upload.files.predictions
  if (!archive) throw badRequest('missing file field "predictions" (a .zip or .tar.gz with one mask per test series)')
  // Bounded by what the test set can need, not by MAX_ARCHIVE_BYTES: a zip bomb stops early.
  const limits = predictionArchiveLimits(
    testSet.series.map((s) => s.size as number[]),
    { maxEntries: deps.config.maxArchiveEntries, maxBytes: deps.config.maxArchiveBytes },
  )
  const files = await extractArchive(archive.path, join(upload.dir, 'x'), limits).catch(archiveFailure)
  const expected = new Map(testSet.series.map((s) => [s.name, s]))
  const problems: string[] = []
  const matched = new Map<string, (typeof files)[number]>()
  for (const f of files) {
    const base = imageBaseName(f.path.slice(f.path.lastIndexOf('/') + 1))
    if (!base) {
      problems.push(`${f.path}: unexpected file (not an image: expected one of ${IMAGE_EXTENSIONS.join(', ')})`)
      continue
    }
    if (!expected.has(base)) {
      problems.push(`${f.path}: unexpected file (the test set has no series "${base}")`)
      continue
    }
    const prior = matched.get(base)
    if (prior) {
      problems.push(`${f.path}: series "${base}" already has a prediction (${prior.path})`)
      continue
    }
    matched.set(base, f)
  }
  for (const name of expected.keys()) if (!matched.has(name)) problems.push(`missing prediction for series "${name}"`)
  // Decoded and checked in image-validation threads, never on this event loop: header first
  // (size of the series, data length), bounded decompression, labels (MAX_PREDICTION_LABELS).
  const checks = await settleAll(
    [...matched].map(([name, f]) =>
      validators.images.run({
        kind: 'prediction',
        file: f.file,
        path: f.path,
        series: name,
        size: expected.get(name)?.size as number[],
        maxLabels: deps.config.maxPredictionLabels,
      }),
    ),
  )
  for (const c of checks) if (c.problem) problems.push(c.problem)
  if (problems.length > 0)
    throw unprocessable(`the predictions have ${problems.length} problem${problems.length === 1 ? '' : 's'}`, { problems })
  const out: Array<{ key: string; file: string }> = []
  const filesJson: Record<string, string> = {}
  for (const [name, f] of matched) {
    const key = `${prefix}/predictions/${name}${extOf(f.path)}`
    out.push({ key, file: f.file })
    filesJson[name] = key
  }
  return { kind: 'predictions', files: out, filesJson, config: null }
}

/** Algorithm submissions: the inference package validates model + config before anything is stored. */
async function prepareAlgorithm(
  deps: ServiceDeps,
  validators: UploadValidators,
  upload: ReceivedUpload,
  prefix: string,
): Promise<PreparedSubmission> {
  const model = upload.files.model
  const configFile = upload.files.config
  const missing = [!model && 'model (the ONNX file)', !configFile && 'config (the JSON algorithm config)'].filter(Boolean)
  if (!model || !configFile) throw badRequest(`missing file field${missing.length > 1 ? 's' : ''} ${missing.join(' and ')}`)
  let config: unknown
  try {
    config = JSON.parse(await readFile(configFile.path, 'utf8'))
  } catch (err) {
    throw unprocessable(`config: ${configFile.filename || 'config'} is not valid JSON (${(err as Error).message})`)
  }
  // In a model process of its own (time and memory limits, private directory, unprivileged
  // user): a hostile model cannot hang or crash the API; at most MAX_CONCURRENT_MODEL_VALIDATIONS at once (429 beyond).
  const leave = validators.models.enter()
  const { validateAlgorithmIsolated, AlgorithmValidationError } = await import('@spider-bench/inference')
  let validated
  try {
    validated = await validateAlgorithmIsolated(model.path, config, model.filename || 'model.onnx')
  } catch (err) {
    if (err instanceof AlgorithmValidationError) {
      // The message is safe for the participant; onnxruntime's raw text is for the server log only.
      if (err.detail) deps.log.warn({ detail: err.detail, part: err.part }, 'model validation failed')
      throw unprocessable(err.message, { part: err.part })
    }
    throw err
  } finally {
    leave()
  }
  return {
    kind: 'algorithm',
    files: [
      { key: `${prefix}/model.onnx`, file: model.path },
      { key: `${prefix}/config.json`, file: configFile.path },
    ],
    filesJson: { model: `${prefix}/model.onnx`, config: `${prefix}/config.json` },
    config: JSON.parse(JSON.stringify(validated.config)) as Prisma.InputJsonValue,
  }
}

/** A submission admitted before its upload is read: the phase, its test set and the admission time. */
export interface Admission {
  readonly phase: PhaseWithChallenge
  readonly testSet: CurrentTestSet
  readonly admittedAt: Date
}

/**
 * POST .../submissions, before the body is read: the phase has a test set, and the admission
 * checks pass (phase open, one active submission, limit). The phase's window is decided here:
 * an upload that arrives before the phase closes is accepted even when its body (up to
 * UPLOAD_TIMEOUT_SECONDS) ends after the close.
 */
export async function admitSubmission(db: PrismaClient, user: AuthUser, challengeSlug: string, phaseSlug: string): Promise<Admission> {
  const phase = await findPhase(db, challengeSlug, phaseSlug)
  const testSet = await currentTestSet(db, phase.id)
  if (!testSet) throw conflict(`phase "${phase.slug}" has no test set yet; submissions open once the organisers upload one`)
  const admittedAt = new Date()
  await admissionChecks(db, phase, user, admittedAt)
  return { phase, testSet, admittedAt }
}

/** 422 unless the phase takes submissions of `kind`. */
export function assertKindAccepted(phase: PhaseWithChallenge, kind: 'predictions' | 'algorithm'): void {
  if (!phase.submissionKinds.includes(kind))
    throw unprocessable(
      `phase "${phase.slug}" accepts ${phase.submissionKinds.map((k) => `"${k}"`).join(' and ')} submissions, not "${kind}"`,
    )
}

/**
 * The admission of a direct upload when it is completed: the phase, the test set and the time
 * decided when the upload was handed out (admitSubmission then), and the admission checks again
 * at that time (phase window, one active submission, limit), as a streamed upload's are.
 */
export async function readmitSubmission(
  db: PrismaClient,
  user: AuthUser,
  phase: PhaseWithChallenge,
  testSetId: string,
  admittedAt: Date,
): Promise<Admission> {
  const testSet = await db.testSetVersion.findUnique({ where: { id: testSetId }, select: testSetSelect })
  if (!testSet) throw conflict(`the test set of this upload's admission was removed; upload again`)
  await admissionChecks(db, phase, user, admittedAt)
  return { phase, testSet, admittedAt }
}

/** The upload slot of a participant's submissions to a phase (one upload in flight). */
export function submissionUploadSlot(admission: Admission, user: AuthUser): { key: string; busy: string } {
  return {
    key: `submission:${admission.phase.id}:${user.id}`,
    busy:
      `you already have an upload to phase "${admission.phase.slug}" in progress (being received or validated); ` +
      'wait for its answer before submitting again',
  }
}

/**
 * POST .../submissions, once the body is received: validated against the hidden test set
 * (422 lists every problem; rejections do not count), stored, recorded with its evaluation,
 * and one job is enqueued. A failure leaves no stored file and no row.
 */
export async function storeSubmission(
  deps: ServiceDeps,
  validators: UploadValidators,
  admission: Admission,
  user: AuthUser,
  upload: ReceivedUpload,
): Promise<{ id: string; status: typeof STATUS.queued }> {
  const { phase, testSet, admittedAt } = admission
  const id = randomUUID()
  const prefix = `submissions/${phase.id}/${id}`
  let stored = false
  try {
    const kind = upload.fields.kind
    if (kind !== 'predictions' && kind !== 'algorithm')
      throw badRequest(`field "kind" must be "predictions" or "algorithm", got ${kind === undefined ? 'nothing' : `"${kind}"`}`)
    assertKindAccepted(phase, kind)
    const prepared =
      kind === 'predictions'
        ? await preparePredictions(deps, validators, upload, testSet, prefix)
        : await prepareAlgorithm(deps, validators, upload, prefix)

    stored = true
    // Several at once: each one is a round trip to an object store.
    const objects = await settleEach(prepared.files, STORE_CONCURRENCY, (f) => deps.storage.put(f.key, createReadStream(f.file)))
    const shaOf = new Map(objects.map((o) => [o.key, o.sha256]))
    const fileSha256 = Object.fromEntries(Object.entries(prepared.filesJson).map(([name, key]) => [name, shaOf.get(key) ?? null]))
    const evaluationId = randomUUID()
    // Algorithms first run on the public sanity cases, when the phase has them (the canary);
    // the worker moves on to the hidden test set once that run succeeds.
    const retryMs = deps.config.uploadDatabaseRetrySeconds * 1000
    const canary =
      prepared.kind === 'algorithm' ? await retryWhileDatabaseUnavailable(() => latestTestSet(deps.db, phase.id, 'public'), retryMs) : null
    const firstSet = canary ?? { id: testSet.id, seriesCount: testSet.series.length }
    // The upload was received and checked: a database restart now is waited out (up to
    // UPLOAD_DATABASE_RETRY_SECONDS, then 503 with Retry-After). An attempt whose commit went
    // through unacknowledged is found by the next one (the submission id is ours).
    await retryWhileDatabaseUnavailable(
      () =>
        deps.db.$transaction(async (tx) => {
          if (await tx.submission.findUnique({ where: { id }, select: { id: true } })) return
          // Serialise this participant's submissions to this phase, then re-check under the lock.
          await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`submit:${phase.id}:${user.id}`}))`
          await admissionChecks(tx, phase, user, admittedAt)
          await tx.submission.create({
            data: {
              id,
              phaseId: phase.id,
              participantId: user.id,
              kind: prepared.kind,
              status: STATUS.queued,
              storagePrefix: prefix,
              files: prepared.filesJson,
              fileSha256,
              ...(prepared.config !== null ? { config: prepared.config } : {}),
              evaluations: { create: { id: evaluationId, ...evaluationRow({ testSet: firstSet, profile: phase.scoringProfile }) } },
            },
          })
        }),
      retryMs,
    )
    stored = false // the rows own the files now
    // The database is the source of truth: a job Redis did not take now is enqueued by the worker's reconciler.
    await enqueueOrLeaveToReconciler(deps.queues.evaluation, evaluationId, deps.log)
    return { id, status: STATUS.queued }
  } finally {
    if (stored)
      await deps.storage
        .deletePrefix(prefix)
        .catch((err: unknown) => deps.log.error({ err }, 'could not remove the files of a rejected submission'))
  }
}

type SubmissionRow = Awaited<ReturnType<typeof findSubmission>>

/**
 * `minSeries`: MIN_AGGREGATE_SERIES. Where per-series results are for the organisers, other
 * callers get only means and counts of the aggregates (see aggregate-visibility.ts).
 */
async function submissionView(
  db: PrismaClient,
  s: SubmissionRow & { phase: { slug: string } },
  user: AuthUser | null,
  minSeries: number,
): Promise<SubmissionView> {
  const latest = await db.evaluation.findFirst({
    where: { submissionId: s.id },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    select: { progressDone: true, progressTotal: true },
  })
  const view: SubmissionView = {
    id: s.id,
    challenge: s.phase.challenge.slug,
    phase: s.phase.slug,
    participant: s.participant.name,
    kind: s.kind,
    status: s.status as SubmissionView['status'],
    progress: { done: latest?.progressDone ?? 0, total: latest?.progressTotal ?? 0 },
    createdAt: s.createdAt.toISOString(),
  }
  if (s.error) view.error = s.error
  if (s.status === STATUS.succeeded) {
    const ok = await db.evaluation.findFirst({
      where: { submissionId: s.id, status: STATUS.succeeded, testSet: { public: false } },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      select: { aggregates: true },
    })
    if (ok?.aggregates && typeof ok.aggregates === 'object' && !Array.isArray(ok.aggregates)) {
      const aggregates = ok.aggregates as Record<string, unknown>
      view.aggregates = seesFullAggregates(user, s.phase) ? aggregates : restrictAggregates(aggregates, minSeries)
    }
  }
  return view
}

/** Only the participant, the challenge's organiser and admins see a submission (others: 403, anonymous: 404). */
export async function getSubmission(db: PrismaClient, user: AuthUser | null, id: string, minSeries: number): Promise<SubmissionView> {
  const s = await findSubmission(db, id)
  assertCanSee(user, s)
  return submissionView(db, s, user, minSeries)
}

/** Per-series results of the newest evaluation with results, as the phase's perSeriesVisibility allows. */
export async function getSubmissionSeries(db: PrismaClient, user: AuthUser | null, id: string) {
  const s = await findSubmission(db, id)
  assertCanSee(user, s)
  if (!canManage(user, s.phase.challenge) && s.phase.perSeriesVisibility !== 'owner') {
    throw forbidden(`per-series results of phase "${s.phase.slug}" are visible to its organisers only`)
  }
  const evaluation =
    (await db.evaluation.findFirst({
      where: { submissionId: id, status: STATUS.succeeded },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      include: { testSet: { select: { version: true } } },
    })) ??
    (await db.evaluation.findFirst({
      where: { submissionId: id },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      include: { testSet: { select: { version: true } } },
    }))
  const rows = evaluation ? await db.seriesResult.findMany({ where: { evaluationId: evaluation.id }, orderBy: { seriesName: 'asc' } }) : []
  return {
    submissionId: id,
    evaluationId: evaluation?.id ?? null,
    testSetVersion: evaluation?.testSet.version ?? null,
    series: rows.map((r) => ({
      name: r.seriesName,
      sequence: r.sequence,
      status: r.status,
      error: r.error,
      metrics: r.metrics as Record<string, number | null>,
      structures: r.structures as unknown[],
    })),
  }
}

/** The caller's own submissions; organisers of the challenge and admins see all unless `mine`. */
export async function listSubmissions(
  db: PrismaClient,
  user: AuthUser | null,
  challengeSlug: string,
  phaseSlug: string,
  mine: boolean,
  minSeries: number,
): Promise<SubmissionView[]> {
  const phase = await findPhase(db, challengeSlug, phaseSlug)
  if (!user) throw notFound(`sign in to list submissions of phase "${phaseSlug}"`)
  const all = canManage(user, phase.challenge) && !mine
  const rows = await db.submission.findMany({
    where: { phaseId: phase.id, ...(all ? {} : { participantId: user.id }) },
    include: { phase: { include: { challenge: { select: { ownerId: true, slug: true } } } }, participant: { select: { name: true } } },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
  })
  return Promise.all(rows.map((r) => submissionView(db, r, user, minSeries)))
}

/**
 * Cancels a queued or running submission (its participant, the organiser, an admin).
 * `stopEvaluation`: removes an evaluation's jobs and tells the workers (queue-state plugin).
 */
export async function cancelSubmission(
  deps: Pick<ServiceDeps, 'db' | 'config' | 'log'>,
  stopEvaluation: (evaluationId: string, seriesIds: readonly string[]) => Promise<unknown>,
  user: AuthUser,
  id: string,
): Promise<SubmissionView> {
  const s = await findSubmission(deps.db, id)
  assertCanSee(user, s)
  const evaluations = await deps.db.$transaction(async (tx) => {
    const changed = await tx.submission.updateMany({
      where: { id, status: submissionMovingTo(STATUS.cancelled) },
      data: { status: STATUS.cancelled },
    })
    if (changed.count === 0) return null
    const active = await tx.evaluation.findMany({
      where: { submissionId: id, status: statusIn(ACTIVE_STATUSES) },
      select: { id: true, testSet: { select: { series: { select: { id: true } } } } },
    })
    await tx.evaluation.updateMany({
      where: { submissionId: id, status: evaluationMovingTo(STATUS.cancelled) },
      data: { status: STATUS.cancelled, finishedAt: new Date() },
    })
    return active.map((e) => ({ id: e.id, series: e.testSet.series.map((x) => x.id) }))
  })
  if (evaluations === null)
    throw conflict(
      `submission ${id} is ${(await deps.db.submission.findUniqueOrThrow({ where: { id } })).status}; ` +
        'only queued or running submissions can be cancelled',
    )
  // Every job of the flow that is not running is removed; workers are told, so a running model
  // process is killed, and running jobs see the cancelled status and end (removed on completion).
  for (const e of evaluations) {
    await stopEvaluation(e.id, e.series).catch((err: unknown) =>
      deps.log.warn({ err, evaluationId: e.id }, 'could not remove the jobs of a cancelled evaluation'),
    )
  }
  return getSubmission(deps.db, user, id, deps.config.minAggregateSeries)
}
