/**
 * Direct uploads: large archives (a test set, predictions) go from the client straight to the
 * object store through a presigned PUT, so that they do not stream through the API process.
 *
 * 1. POST .../uploads (start): the same checks as before a streamed body is read (role, phase,
 *    admission of a submission, the one-upload-in-flight slot), MAX_UPLOAD_BYTES on the declared
 *    size; then a row (the slot stays taken while it is open) and a presigned PUT of exactly
 *    that size and SHA-256 to `uploads/<id>/archive`, a prefix only the server hands out URLs
 *    for. No GET URL is ever handed out.
 * 2. The client PUTs the file (the URL is valid for at most PRESIGNED_URL_SECONDS).
 * 3. POST /uploads/<id>/complete: the object is read back from storage into the API's private
 *    temp folder, counted and hashed (it must be exactly the declared size and SHA-256, whatever
 *    the store checked), and handed to the very validation of a streamed upload (storeTestSet,
 *    storeSubmission). An upload id completes once: afterwards it is refused.
 *
 * An upload not completed within UPLOAD_TIMEOUT_SECONDS of its start expires: the sweep (run
 * by every API process, see plugins/app/direct-uploads.ts) removes its object and frees the slot.
 */
import { createHash, randomUUID } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { DirectUpload, PrismaClient } from '@spider-bench/db'
import { MAX_PRESIGNED_UPLOAD_BYTES, StorageError, type Storage } from '@spider-bench/storage'
import { ApiError, notFound, payloadTooLarge, unprocessable } from '../errors.ts'
import type { ReceivedUpload } from '../lib/receive-upload.ts'
import { newUploadFolderName } from '../lib/upload-tmp.ts'
import type { AuthUser } from '../types.ts'
import { assertCanManage, type PhaseWithChallenge } from './challenges.ts'
import type { ServiceDeps } from './deps.ts'

export type DirectUploadPurpose = 'test-set' | 'sanity-set' | 'predictions'

/** How long a presigned URL is valid (at most; less when UPLOAD_TIMEOUT_SECONDS is shorter). */
export const PRESIGNED_URL_SECONDS = 900
/** Largest object one presigned PUT can create (S3's single-PUT limit). */
/** States in which an upload holds its slot. */
const OPEN = ['pending', 'completing']

/** What the client needs to send the file, and where to complete it. */
export interface DirectUploadView {
  readonly id: string
  readonly purpose: DirectUploadPurpose
  readonly size: number
  readonly sha256: string
  /** The presigned PUT: send exactly these headers and `size` bytes. */
  readonly upload: { readonly method: 'PUT'; readonly url: string; readonly headers: Readonly<Record<string, string>> }
  readonly urlExpiresAt: string
  /** Complete by then (UPLOAD_TIMEOUT_SECONDS after the start), or the upload expires. */
  readonly expiresAt: string
  /** POST here once the PUT succeeded. */
  readonly complete: string
}

/** The multipart file field a streamed upload of this purpose uses. */
const FIELD: Record<DirectUploadPurpose, string> = { 'test-set': 'archive', 'sanity-set': 'archive', predictions: 'predictions' }

/** 501 naming the streamed route: this server's storage takes no direct uploads (the file store). */
export function directUploadsUnavailable(streamedRoute: string): ApiError {
  return new ApiError(
    501,
    'direct_upload_unavailable',
    'this server keeps its files in a file store, which takes no direct uploads: the server streams uploads instead; ' +
      `send the archive in the body of ${streamedRoute}`,
    { streamedRoute },
  )
}

/** Everything of one direct upload lives under this prefix, which only the server presigns. */
const uploadPrefix = (id: string) => `uploads/${id}`
const storageKeyOf = (id: string) => `${uploadPrefix(id)}/archive`

/**
 * POST .../uploads, once the caller, the phase and (for predictions) the admission are checked
 * and the slot was free: records the upload and presigns its PUT. 409 while another upload of
 * the slot is open (not completed, not expired).
 */
export async function startDirectUpload(
  deps: ServiceDeps,
  input: {
    readonly purpose: DirectUploadPurpose
    readonly phase: PhaseWithChallenge
    readonly user: AuthUser
    readonly slot: { readonly key: string; readonly busy: string }
    readonly size: number
    readonly sha256: string
    readonly testSetId: string | null
    readonly streamedRoute: string
  },
): Promise<DirectUploadView> {
  const { storage, config, db } = deps
  if (!storage.presignUpload) throw directUploadsUnavailable(input.streamedRoute)
  if (input.size > config.maxUploadBytes)
    throw payloadTooLarge(`file "${FIELD[input.purpose]}" exceeds MAX_UPLOAD_BYTES (${config.maxUploadBytes} bytes)`)
  if (input.size > MAX_PRESIGNED_UPLOAD_BYTES)
    throw payloadTooLarge(
      `a direct upload holds at most ${MAX_PRESIGNED_UPLOAD_BYTES} bytes (one PUT to the object store); ` +
        `send this archive in the body of ${input.streamedRoute}`,
    )
  const id = randomUUID()
  const now = new Date()
  const expiresAt = new Date(now.getTime() + config.uploadTimeoutSeconds * 1000)
  const urlSeconds = Math.min(PRESIGNED_URL_SECONDS, config.uploadTimeoutSeconds)
  await db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`direct-upload:${input.slot.key}`}))`
    const open = await openUploadIn(tx, input.slot.key, now)
    if (open) throw openUploadConflict(input.slot.busy, open, input.user)
    await tx.directUpload.create({
      data: {
        id,
        purpose: input.purpose,
        phaseId: input.phase.id,
        userId: input.user.id,
        slot: input.slot.key,
        storageKey: storageKeyOf(id),
        size: BigInt(input.size),
        sha256: input.sha256,
        testSetId: input.testSetId,
        createdAt: now,
        urlExpiresAt: new Date(now.getTime() + urlSeconds * 1000),
        expiresAt,
      },
    })
  })
  try {
    const signed = await storage.presignUpload(storageKeyOf(id), { size: input.size, sha256: input.sha256, expiresSeconds: urlSeconds })
    return {
      id,
      purpose: input.purpose,
      size: input.size,
      sha256: input.sha256,
      upload: { method: signed.method, url: signed.url, headers: signed.headers },
      urlExpiresAt: signed.expiresAt.toISOString(),
      expiresAt: expiresAt.toISOString(),
      complete: `/api/v1/uploads/${id}/complete`,
    }
  } catch (err) {
    await db.directUpload.delete({ where: { id } }).catch(() => undefined)
    throw err
  }
}

/** The direct upload holding an upload slot now, if any (a database client or a transaction). */
function openUploadIn(db: Pick<PrismaClient, 'directUpload'>, slot: string, now: Date) {
  return db.directUpload.findFirst({
    where: { slot, status: { in: OPEN }, expiresAt: { gt: now } },
    select: { id: true, userId: true, expiresAt: true },
  })
}

function openUploadConflict(busy: string, open: { id: string; userId: string; expiresAt: Date }, user: AuthUser): ApiError {
  const own = open.userId === user.id
  return new ApiError(
    409,
    'upload_in_progress',
    `${busy}` +
      (own
        ? ` (direct upload ${open.id}: complete it, or abandon it with DELETE /api/v1/uploads/${open.id}; ` +
          `it expires at ${open.expiresAt.toISOString()})`
        : ` (a direct upload, open until ${open.expiresAt.toISOString()})`),
    own ? { uploadId: open.id, expiresAt: open.expiresAt.toISOString() } : undefined,
  )
}

/**
 * 409 while the slot has an open direct upload: a streamed upload of the same slot waits for it
 * (one upload in flight per participant and phase, or per phase for test sets).
 */
export async function assertNoOpenDirectUpload(db: PrismaClient, slot: { key: string; busy: string }, user: AuthUser): Promise<void> {
  const open = await openUploadIn(db, slot.key, new Date())
  if (open) throw openUploadConflict(slot.busy, open, user)
}

/** The caller's own upload (others' are not found: ids are not secrets to keep, but nothing else is told). */
export async function findOwnUpload(db: PrismaClient, user: AuthUser, id: string): Promise<DirectUpload> {
  const row = await db.directUpload.findUnique({ where: { id } })
  if (!row || row.userId !== user.id) throw notFound(`no upload ${id} of yours`)
  return row
}

/** The phase of an upload, with its challenge (test sets: the caller must still manage it). */
export async function uploadPhase(db: PrismaClient, user: AuthUser, row: DirectUpload): Promise<PhaseWithChallenge> {
  const phase = await db.phase.findUnique({ where: { id: row.phaseId }, include: { challenge: true } })
  if (!phase) throw notFound(`the phase of upload ${row.id} no longer exists`)
  if (row.purpose !== 'predictions') assertCanManage(user, phase.challenge)
  return phase
}

function refusedAgain(row: Pick<DirectUpload, 'id' | 'status'>): ApiError {
  return new ApiError(
    409,
    'upload_used',
    `upload ${row.id} is ${row.status}: an upload completes once; start a new upload to send the file again`,
    { status: row.status },
  )
}

/** 409 unless the upload is pending (it completes once), 410 once expired. */
export function assertCompletable(row: DirectUpload): void {
  if (row.status !== 'pending') throw refusedAgain(row)
  if (row.expiresAt.getTime() <= Date.now())
    throw new ApiError(410, 'upload_expired', `upload ${row.id} expired at ${row.expiresAt.toISOString()}; start a new upload`)
}

/**
 * Takes the upload for completion: pending → completing, once. A second complete, or one of an
 * upload already completed, failed, expired or abandoned, is refused (409, 410 when expired).
 */
export async function claimDirectUpload(db: PrismaClient, row: DirectUpload): Promise<void> {
  assertCompletable(row)
  const taken = await db.directUpload.updateMany({ where: { id: row.id, status: 'pending' }, data: { status: 'completing' } })
  if (taken.count === 0) throw refusedAgain(await db.directUpload.findUniqueOrThrow({ where: { id: row.id } }))
}

/**
 * Reads a claimed upload's object back into a private temp folder under `tmpRoot`, as a
 * streamed upload is received: exactly the declared size and SHA-256, or 422. An object not
 * there yet (nothing was PUT) is 409 `upload_missing` (the upload then stays open).
 */
export async function receiveDirectUpload(storage: Storage, row: DirectUpload, tmpRoot: string): Promise<ReceivedUpload> {
  const dir = join(tmpRoot, newUploadFolderName())
  const cleanup = () => rm(dir, { recursive: true, force: true })
  try {
    await mkdir(dir, { recursive: true })
    const field = FIELD[row.purpose as DirectUploadPurpose]
    const target = join(dir, `upload-${field}`)
    const size = await fetchVerified(storage, row, target)
    return {
      fields: row.purpose === 'predictions' ? { kind: 'predictions' } : {},
      files: { [field]: { path: target, filename: 'archive', size } },
      dir,
      cleanup,
    }
  } catch (err) {
    await cleanup()
    if (err instanceof StorageError && err.code === 'not_found')
      throw new ApiError(
        409,
        'upload_missing',
        `nothing was uploaded for upload ${row.id} yet: PUT the file to its URL first, then complete it`,
      )
    throw err
  }
}

/** Copies the object to `target`, counting and hashing: anything but the declared bytes is refused (422). */
async function fetchVerified(storage: Storage, row: DirectUpload, target: string): Promise<number> {
  const declared = Number(row.size)
  const mismatch = (what: string) =>
    unprocessable(
      `the uploaded file is not the one declared (${declared} bytes, SHA-256 ${row.sha256}): ${what}; ` +
        'nothing was kept, start a new upload',
    )
  const hash = createHash('sha256')
  let size = 0
  try {
    await pipeline(
      await storage.stream(row.storageKey),
      new Transform({
        transform(chunk: Buffer, _encoding, done) {
          size += chunk.length
          if (size > declared) return done(mismatch(`it holds more than ${declared} bytes`))
          hash.update(chunk)
          done(null, chunk)
        },
      }),
      createWriteStream(target, { flags: 'wx' }),
    )
  } catch (err) {
    // The store's own check of the content against its recorded checksum.
    if (err instanceof StorageError && err.code === 'corrupt') throw mismatch('its content does not match the checksum it was stored with')
    throw err
  }
  if (size !== declared) throw mismatch(`it holds ${size} bytes`)
  const sha256 = hash.digest('hex')
  if (sha256 !== row.sha256) throw mismatch(`its SHA-256 is ${sha256}`)
  return size
}

/**
 * The end of a completion (`err`: null when it succeeded): completed; failed when the content was
 * refused (4xx); open again when nothing was uploaded yet or the server failed (5xx: complete it
 * again). The object is removed once the upload is over (the validated files were stored anew).
 */
export async function settleDirectUpload(
  deps: Pick<ServiceDeps, 'db' | 'storage' | 'log'>,
  row: DirectUpload,
  err: unknown,
): Promise<void> {
  const retry = !(err instanceof ApiError) || err.statusCode >= 500 || err.code === 'upload_missing'
  const status = err === null ? 'completed' : retry ? 'pending' : 'failed'
  try {
    await deps.db.directUpload.updateMany({
      where: { id: row.id, status: 'completing' },
      data: status === 'pending' ? { status } : { status, finishedAt: new Date() },
    })
    if (status !== 'pending') await deps.storage.deletePrefix(uploadPrefix(row.id))
  } catch (e) {
    deps.log.warn({ err: e, uploadId: row.id }, 'could not settle a direct upload; the sweep will remove it once expired')
  }
}

/** DELETE /uploads/<id>: the caller gives up an upload not yet completed; its object is removed. */
export async function abandonDirectUpload(deps: Pick<ServiceDeps, 'db' | 'storage'>, user: AuthUser, id: string): Promise<void> {
  const row = await findOwnUpload(deps.db, user, id)
  const changed = await deps.db.directUpload.updateMany({
    where: { id, status: 'pending' },
    data: { status: 'abandoned', finishedAt: new Date() },
  })
  if (changed.count === 0) throw refusedAgain(await deps.db.directUpload.findUniqueOrThrow({ where: { id: row.id } }))
  await deps.storage.deletePrefix(uploadPrefix(id))
}

/** An upload whose completion has run this long past its expiry belongs to an API process that died. */
const STALE_COMPLETING_MS = 6 * 3_600_000

/**
 * Removes what direct uploads left: open uploads past their expiry (marked expired; a completion
 * stuck for STALE_COMPLETING_MS beyond it too) and every object under uploads/ whose upload is
 * over or unknown. Safe to run in several API processes at once.
 */
export async function sweepDirectUploads(
  deps: Pick<ServiceDeps, 'db' | 'storage'>,
  now = new Date(),
): Promise<{ expired: number; removed: number }> {
  const stale = await deps.db.directUpload.findMany({
    where: {
      OR: [
        { status: 'pending', expiresAt: { lte: now } },
        { status: 'completing', expiresAt: { lte: new Date(now.getTime() - STALE_COMPLETING_MS) } },
      ],
    },
    select: { id: true, status: true },
  })
  let expired = 0
  for (const row of stale) {
    const changed = await deps.db.directUpload.updateMany({
      where: { id: row.id, status: row.status },
      data: { status: 'expired', finishedAt: now },
    })
    expired += changed.count
  }
  const ids = [...new Set((await deps.storage.list('uploads')).map((key) => key.split('/')[1]))]
  const open = new Set(
    (await deps.db.directUpload.findMany({ where: { id: { in: ids }, status: { in: OPEN } }, select: { id: true } })).map((r) => r.id),
  )
  let removed = 0
  for (const id of ids) {
    if (open.has(id)) continue
    await deps.storage.deletePrefix(uploadPrefix(id))
    removed++
  }
  return { expired, removed }
}
