import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, open } from 'node:fs/promises'
import { join } from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGunzip } from 'node:zlib'
import tar from 'tar-stream'
import yauzl from 'yauzl'

export interface ArchiveLimits {
  /** Most file entries (directories included) the archive may hold. */
  readonly maxEntries: number
  /** Most bytes the archive may expand to, counted while extracting (zip bombs). */
  readonly maxBytes: number
  /** Most bytes one entry may expand to; unlimited (up to maxBytes) when absent. */
  readonly maxEntryBytes?: number
  /** Why the limits are what they are, for the messages (default: the MAX_ARCHIVE_* settings). */
  readonly reason?: string
}

/** The widest scalar voxel (float64): no label image needs more bytes per voxel. */
export const MAX_BYTES_PER_VOXEL = 8
/** Allowance per image for its header (MetaImage text, NIfTI header and extensions). */
export const IMAGE_HEADER_SLACK = 64 * 1024
/** Entries allowed per series beyond its file (folders, __MACOSX/._* copies), plus a fixed allowance. */
const ENTRIES_PER_SERIES = 3
const ENTRY_SLACK = 64

/**
 * Limits for a predictions archive: what one label image per test series can need at most
 * (voxels × 8 bytes + a header allowance each; per entry, the largest series'), never more
 * than the configured limits. A zip bomb then stops after writing a test set's worth of
 * bytes, not MAX_ARCHIVE_BYTES.
 */
export function predictionArchiveLimits(seriesSizes: ReadonlyArray<readonly number[]>, configured: ArchiveLimits): ArchiveLimits {
  const perSeries = seriesSizes.map((size) => size.reduce((a, b) => a * b, 1) * MAX_BYTES_PER_VOXEL + IMAGE_HEADER_SLACK)
  const n = seriesSizes.length
  return {
    maxBytes: Math.min(
      configured.maxBytes,
      perSeries.reduce((a, b) => a + b, 0),
    ),
    maxEntries: Math.min(configured.maxEntries, ENTRIES_PER_SERIES * n + ENTRY_SLACK),
    maxEntryBytes: Math.min(configured.maxBytes, Math.max(0, ...perSeries)),
    reason:
      `the most that predictions for the ${n} test series can need ` +
      `(voxels × ${MAX_BYTES_PER_VOXEL} bytes + ${IMAGE_HEADER_SLACK / 1024} KiB per series)`,
  }
}

/** One extracted regular file. */
export interface ExtractedFile {
  /** Normalised path inside the archive (`/`-separated, no `.` segments). */
  readonly path: string
  /** Where it was written. */
  readonly file: string
  readonly size: number
}

/** The archive itself is unusable or unsafe; `problems` lists every offending entry found. */
export class ArchiveError extends Error {
  constructor(
    message: string,
    readonly problems: string[] = [],
    /** 413 for limits, 422 for content. */
    readonly status: 413 | 422 = 422,
  ) {
    super(message)
    this.name = 'ArchiveError'
  }
}

// Clutter archivers add; never part of a data set.
const IGNORED = [/(^|\/)__MACOSX\//, /(^|\/)\.DS_Store$/, /(^|\/)Thumbs\.db$/]

/** Returns the safe normalised path, or a problem message; refuses absolute paths and `..`. */
export function normaliseEntryPath(name: string): { path: string } | { problem: string } {
  if (name.includes('\0')) return { problem: `${JSON.stringify(name)}: file name contains a NUL byte` }
  if (name.includes('\\')) return { problem: `${name}: backslashes are not allowed in archive paths` }
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return { problem: `${name}: absolute paths are not allowed` }
  const parts = name.split('/').filter((p) => p !== '' && p !== '.')
  if (parts.includes('..')) return { problem: `${name}: ".." is not allowed in archive paths` }
  if (parts.length === 0) return { problem: `${JSON.stringify(name)}: empty path` }
  return { path: parts.join('/') }
}

/** What to upload instead of something that is not an archive. */
const PUT_IN_ARCHIVE =
  'upload a .zip or .tar.gz holding the files, e.g. made with `tar czf upload.tar.gz -C DIR .` or `cd DIR && zip -r ../upload.zip .`'

async function detectFormat(file: string): Promise<'zip' | 'tar.gz'> {
  const handle = await open(file, 'r')
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(4), 0, 4, 0)
    if (
      bytesRead >= 4 &&
      buffer[0] === 0x50 &&
      buffer[1] === 0x4b &&
      (buffer[2] === 3 || buffer[2] === 5) &&
      (buffer[3] === 4 || buffer[3] === 6)
    )
      return 'zip'
    if (bytesRead >= 2 && buffer[0] === 0x1f && buffer[1] === 0x8b) return 'tar.gz'
  } finally {
    await handle.close()
  }
  throw new ArchiveError(`the upload is neither a .zip nor a .tar.gz archive (a single image such as a .mha is not one): ${PUT_IN_ARCHIVE}`)
}

/** Counts bytes across all entries (and per entry) and aborts once a total passes its limit. */
class Budget {
  total = 0
  constructor(private readonly limits: ArchiveLimits) {}
  /** Refuses, before a byte is written, an entry whose declared size already passes a limit. */
  check(path: string, declaredSize: number): ArchiveError | null {
    if (this.limits.maxEntryBytes !== undefined && declaredSize > this.limits.maxEntryBytes) return entryTooLarge(this.limits, path)
    if (this.total + declaredSize > this.limits.maxBytes) return tooLarge(this.limits)
    return null
  }
  meter(path: string): Transform {
    let entry = 0
    return new Transform({
      transform: (chunk: Buffer, _enc, done) => {
        this.total += chunk.length
        entry += chunk.length
        if (this.limits.maxEntryBytes !== undefined && entry > this.limits.maxEntryBytes) done(entryTooLarge(this.limits, path))
        else if (this.total > this.limits.maxBytes) done(tooLarge(this.limits))
        else done(null, chunk)
      },
    })
  }
}

const tooLarge = (limits: ArchiveLimits) =>
  new ArchiveError(
    limits.reason
      ? `the archive expands to more than ${limits.maxBytes} bytes, ${limits.reason}`
      : `the archive expands to more than MAX_ARCHIVE_BYTES (${limits.maxBytes} bytes)`,
    [],
    413,
  )
const entryTooLarge = (limits: ArchiveLimits, path: string) =>
  new ArchiveError(`${path}: expands to more than ${limits.maxEntryBytes} bytes${limits.reason ? `, ${limits.reason}` : ''}`, [], 413)
const tooMany = (limits: ArchiveLimits) =>
  new ArchiveError(
    limits.reason
      ? `the archive has more than ${limits.maxEntries} entries, ${limits.reason}`
      : `the archive has more than MAX_ARCHIVE_ENTRIES (${limits.maxEntries}) entries`,
    [],
    413,
  )

/** File names on disk: an index plus the base name, so extensions survive for the image readers. */
function diskName(dest: string, index: number, path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1).replace(/[^A-Za-z0-9_.-]/g, '_')
  return join(dest, `${index}-${base}`)
}

/**
 * The server could not write what it extracted (disk full, quota, read-only or failing
 * volume, no file descriptors): not the archive's fault, so never reported as unreadable (422);
 * the error handler answers it (507 for a full disk).
 */
function isServerWriteFailure(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code
  return typeof code === 'string' && ['ENOSPC', 'EDQUOT', 'EROFS', 'EIO', 'EMFILE', 'ENFILE'].includes(code)
}

async function writeEntry(source: NodeJS.ReadableStream, target: string, budget: Budget, path: string): Promise<void> {
  await pipeline(source, budget.meter(path), createWriteStream(target, { flags: 'wx' }))
}

const S_IFMT = 0o170000
const S_IFREG = 0o100000
const S_IFDIR = 0o040000
const S_IFLNK = 0o120000

async function extractZip(file: string, dest: string, limits: ArchiveLimits): Promise<{ files: ExtractedFile[]; problems: string[] }> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true, autoClose: true, validateEntrySizes: true, decodeStrings: true }, (err, z) =>
      err ? reject(new ArchiveError(`the .zip archive is unreadable: ${err.message}`)) : resolve(z),
    ),
  )
  if (zip.entryCount > limits.maxEntries) {
    zip.close()
    throw tooMany(limits)
  }
  const budget = new Budget(limits)
  const files: ExtractedFile[] = []
  const problems: string[] = []
  let index = 0
  return new Promise((resolve, reject) => {
    let failed = false
    const fail = (err: unknown) => {
      if (failed) return
      failed = true
      zip.close()
      reject(
        err instanceof ArchiveError || isServerWriteFailure(err)
          ? err
          : new ArchiveError(`the .zip archive is unreadable or unsafe: ${(err as Error).message}`),
      )
    }
    zip.on('error', fail)
    zip.on('end', () => {
      if (!failed) resolve({ files, problems })
    })
    zip.on('entry', (entry: yauzl.Entry) => {
      const name = entry.fileName
      const mode = (entry.externalFileAttributes >>> 16) & S_IFMT
      const isDir = name.endsWith('/') || mode === S_IFDIR
      // Folders are never created on disk (files go to flat names), so "./" and the like are harmless.
      if (isDir) return zip.readEntry()
      const normal = normaliseEntryPath(name)
      if ('problem' in normal) {
        problems.push(normal.problem)
        return zip.readEntry()
      }
      if (IGNORED.some((re) => re.test(normal.path))) return zip.readEntry()
      if (mode === S_IFLNK) {
        problems.push(`${normal.path}: symbolic links are not allowed`)
        return zip.readEntry()
      }
      if (mode !== 0 && mode !== S_IFREG) {
        problems.push(`${normal.path}: only regular files are allowed (device files, pipes and sockets are refused)`)
        return zip.readEntry()
      }
      if (entry.isEncrypted()) {
        problems.push(`${normal.path}: encrypted entries are not supported`)
        return zip.readEntry()
      }
      const refused = budget.check(normal.path, entry.uncompressedSize)
      if (refused) return fail(refused)
      const target = diskName(dest, index++, normal.path)
      zip.openReadStream(entry, (err, stream) => {
        if (err) return fail(err)
        writeEntry(stream, target, budget, normal.path).then(() => {
          files.push({ path: normal.path, file: target, size: entry.uncompressedSize })
          zip.readEntry()
        }, fail)
      })
    })
    zip.readEntry()
  })
}

async function extractTarGz(file: string, dest: string, limits: ArchiveLimits): Promise<{ files: ExtractedFile[]; problems: string[] }> {
  const budget = new Budget(limits)
  const files: ExtractedFile[] = []
  const problems: string[] = []
  let entries = 0
  let abortedBy: unknown = null
  const extract = tar.extract()
  // Errors are recorded and the extractor destroyed; the pipeline below then rejects.
  const abort = (err: unknown) => {
    abortedBy ??= err
    extract.destroy(err instanceof Error ? err : new Error(String(err)))
  }
  extract.on('entry', (header, stream, next) => {
    // An aborted extraction destroys the current entry with the same error, reported once via the pipeline.
    stream.on('error', () => undefined)
    const skip = () => {
      stream.on('end', () => next())
      stream.resume()
    }
    if (++entries > limits.maxEntries) return abort(tooMany(limits))
    const type = header.type ?? 'file'
    // Folders are never created on disk (files go to flat names), so "./" and the like are harmless.
    if (type === 'directory') return skip()
    const normal = normaliseEntryPath(header.name)
    if ('problem' in normal) {
      problems.push(normal.problem)
      return skip()
    }
    if (IGNORED.some((re) => re.test(normal.path))) return skip()
    if (type === 'symlink' || type === 'link') {
      problems.push(`${normal.path}: ${type === 'link' ? 'hard' : 'symbolic'} links are not allowed`)
      return skip()
    }
    if (type !== 'file' && type !== 'contiguous-file') {
      problems.push(`${normal.path}: only regular files are allowed, this entry is a ${type}`)
      return skip()
    }
    // A tar header's size is exact: an entry too large is refused before a byte is written.
    const refused = budget.check(normal.path, header.size ?? 0)
    if (refused) return abort(refused)
    const target = diskName(dest, entries, normal.path)
    // tar-stream's entries are streamx streams: pipe them into a Node pipeline.
    const meter = budget.meter(normal.path)
    stream.on('error', (err: Error) => meter.destroy(err))
    stream.pipe(meter)
    pipeline(meter, createWriteStream(target, { flags: 'wx' })).then(() => {
      files.push({ path: normal.path, file: target, size: header.size ?? 0 })
      next()
    }, abort)
  })
  try {
    await pipeline(createReadStream(file), createGunzip(), extract)
  } catch (err) {
    if (abortedBy instanceof ArchiveError) throw abortedBy
    if (err instanceof ArchiveError) throw err
    if (isServerWriteFailure(abortedBy)) throw abortedBy
    if (isServerWriteFailure(err)) throw err
    // gzip around something that is not a tar: most often one compressed image (a .nii.gz).
    if (entries === 0 && /invalid tar header/i.test((err as Error).message)) {
      throw new ArchiveError(`the upload is gzip-compressed but not a .tar.gz archive (a single .nii.gz image?): ${PUT_IN_ARCHIVE}`)
    }
    throw new ArchiveError(`the .tar.gz archive is unreadable: ${(err as Error).message}`)
  }
  return { files, problems }
}

/**
 * Extracts a .zip or .tar.gz (detected by content) into `dest`, streaming each entry to
 * disk. Refuses absolute paths, `..`, links, device files and pipes (listing each), and
 * stops at the entry-count and expanded-size limits. The caller removes `dest` afterwards.
 */
export async function extractArchive(file: string, dest: string, limits: ArchiveLimits): Promise<ExtractedFile[]> {
  await mkdir(dest, { recursive: true })
  const format = await detectFormat(file)
  const { files, problems } = format === 'zip' ? await extractZip(file, dest, limits) : await extractTarGz(file, dest, limits)
  if (problems.length > 0)
    throw new ArchiveError(`the archive has ${problems.length} unsafe or unsupported entr${problems.length === 1 ? 'y' : 'ies'}`, problems)
  const seen = new Set<string>()
  const duplicates = files
    .filter((f) => (seen.has(f.path) ? true : (seen.add(f.path), false)))
    .map((f) => `${f.path}: appears more than once in the archive`)
  if (duplicates.length > 0) throw new ArchiveError('the archive has duplicate entries', duplicates)
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}
