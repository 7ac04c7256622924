import { describe, it, expect, beforeEach, afterEach } from 'vitest'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { extractArchive, normaliseEntryPath, predictionArchiveLimits, ArchiveError } from './archive.ts'
import { writeTarGz, writeZip, type TestEntry } from '../testing/archives.ts'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'archive-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const limits = { maxEntries: 100, maxBytes: 10_000_000 }
const writers = { zip: writeZip, 'tar.gz': writeTarGz }

async function problemsOf(promise: Promise<unknown>): Promise<ArchiveError> {
  try {
    await promise
  } catch (err) {
    if (err instanceof ArchiveError) return err
    throw err
  }
  throw new Error('expected an ArchiveError')
}

describe('normaliseEntryPath', () => {
  it('normalises and refuses unsafe paths', () => {
    expect(normaliseEntryPath('./a//b/c.mha')).toEqual({ path: 'a/b/c.mha' })
    expect(normaliseEntryPath('/etc/passwd')).toEqual({ problem: '/etc/passwd: absolute paths are not allowed' })
    expect(normaliseEntryPath('a/../../x')).toEqual({ problem: 'a/../../x: ".." is not allowed in archive paths' })
    expect(normaliseEntryPath('C:/x')).toEqual({ problem: 'C:/x: absolute paths are not allowed' })
    expect(normaliseEntryPath('a\\b')).toEqual({ problem: 'a\\b: backslashes are not allowed in archive paths' })
  })
})

for (const [format, write] of Object.entries(writers)) {
  describe(`extractArchive (${format})`, () => {
    const archive = () => join(dir, `upload.${format}`)

    it('extracts regular files, skipping directories and macOS clutter', async () => {
      const entries: TestEntry[] = [
        ...(format === 'zip' ? [{ name: './', data: '', mode: 0o040755 }] : [{ name: './', type: 'directory' as const }]),
        { name: './set/', data: '', mode: 0o040755, ...(format === 'zip' ? {} : { type: 'directory' as const }) },
        { name: 'set/images/1_t1.mha', data: 'image' },
        { name: 'set/masks/1_t1.mha', data: 'mask' },
        { name: '__MACOSX/set/._x', data: 'junk' },
        { name: 'set/.DS_Store', data: 'junk' },
      ]
      await write(archive(), entries)
      const files = await extractArchive(archive(), join(dir, 'out'), limits)
      expect(files.map((f) => f.path)).toEqual(['set/images/1_t1.mha', 'set/masks/1_t1.mha'])
      expect(await readFile(files[1].file, 'utf8')).toBe('mask')
      expect(files[0].file.endsWith('.mha')).toBe(true)
    })

    it('refuses absolute paths and ".." and lists every one', async () => {
      await write(archive(), [
        { name: '/abs.mha', data: 'x' },
        { name: 'ok.mha', data: 'x' },
        { name: 'a/../../evil.mha', data: 'x' },
      ])
      const err = await problemsOf(extractArchive(archive(), join(dir, 'out'), limits))
      expect(err.status).toBe(422)
      // yauzl refuses unsafe zip names itself; tar entries are checked one by one.
      if (format === 'tar.gz')
        expect(err.problems).toEqual(['/abs.mha: absolute paths are not allowed', 'a/../../evil.mha: ".." is not allowed in archive paths'])
      else expect(err.message).toMatch(/abs\.mha|evil\.mha/)
      expect(await readdir(dir)).not.toContain('evil.mha')
    })

    it('refuses links and device files', async () => {
      const entries: TestEntry[] =
        format === 'zip'
          ? [
              { name: 'link.mha', data: '/etc/passwd', mode: 0o120777 },
              { name: 'dev', data: '', mode: 0o020644 },
            ]
          : [
              { name: 'link.mha', type: 'symlink', linkname: '/etc/passwd' },
              { name: 'hard.mha', type: 'link', linkname: 'link.mha' },
              { name: 'dev', type: 'character-device' },
              { name: 'pipe', type: 'fifo' },
            ]
      await write(archive(), entries)
      const err = await problemsOf(extractArchive(archive(), join(dir, 'out'), limits))
      expect(err.problems.length).toBe(entries.length)
      expect(err.problems[0]).toBe('link.mha: symbolic links are not allowed')
      expect(err.problems.join('\n')).toMatch(/dev: only regular files are allowed/)
    })

    it('stops at the expanded-size limit (zip bomb) with 413', async () => {
      await write(archive(), [{ name: 'bomb.bin', data: Buffer.alloc(5_000_000) }])
      const err = await problemsOf(extractArchive(archive(), join(dir, 'out'), { maxEntries: 10, maxBytes: 1_000_000 }))
      expect(err.status).toBe(413)
      expect(err.message).toBe('the archive expands to more than MAX_ARCHIVE_BYTES (1000000 bytes)')
    })

    it('stops at the entry-count limit with 413', async () => {
      await write(
        archive(),
        Array.from({ length: 12 }, (_, i) => ({ name: `f${i}.mha`, data: 'x' })),
      )
      const err = await problemsOf(extractArchive(archive(), join(dir, 'out'), { maxEntries: 10, maxBytes: 1_000_000 }))
      expect(err.status).toBe(413)
      expect(err.message).toBe('the archive has more than MAX_ARCHIVE_ENTRIES (10) entries')
    })

    it('refuses an entry whose declared size passes maxEntryBytes before writing a byte of it', async () => {
      await write(archive(), [
        { name: 'a.mha', data: 'small' },
        { name: 'bomb.mha', data: Buffer.alloc(2_000_000) },
      ])
      const err = await problemsOf(
        extractArchive(archive(), join(dir, 'out'), {
          maxEntries: 10,
          maxBytes: 10_000_000,
          maxEntryBytes: 1000,
          reason: 'the most 1 series can need',
        }),
      )
      expect(err.status).toBe(413)
      expect(err.message).toBe('bomb.mha: expands to more than 1000 bytes, the most 1 series can need')
      expect((await readdir(join(dir, 'out'))).filter((f) => f.includes('bomb'))).toEqual([])
    })
  })
}

describe('predictionArchiveLimits', () => {
  it('allows what one label image per test series can need, capped by the configured limits', () => {
    const limits = predictionArchiveLimits(
      [
        [10, 10, 2],
        [20, 10, 1],
      ],
      { maxEntries: 10_000, maxBytes: 16 * 1024 ** 3 },
    )
    expect(limits.maxBytes).toBe(200 * 8 + 65536 + 200 * 8 + 65536)
    expect(limits.maxEntryBytes).toBe(200 * 8 + 65536)
    expect(limits.maxEntries).toBe(3 * 2 + 64)
    expect(limits.reason).toBe('the most that predictions for the 2 test series can need (voxels × 8 bytes + 64 KiB per series)')
    const capped = predictionArchiveLimits([[512, 512, 100]], { maxEntries: 5, maxBytes: 1000 })
    expect([capped.maxBytes, capped.maxEntryBytes, capped.maxEntries]).toEqual([1000, 1000, 5])
  })
})

describe('extractArchive (other input)', () => {
  it('refuses files that are not archives', async () => {
    await writeFile(join(dir, 'x.zip'), 'not an archive at all')
    const err = await problemsOf(extractArchive(join(dir, 'x.zip'), join(dir, 'out'), limits))
    expect(err.message).toBe(
      'the upload is neither a .zip nor a .tar.gz archive (a single image such as a .mha is not one): ' +
        'upload a .zip or .tar.gz holding the files, ' +
        'e.g. made with `tar czf upload.tar.gz -C DIR .` or `cd DIR && zip -r ../upload.zip .`',
    )
  })

  it('says what to upload instead of a single gzip-compressed image (.nii.gz)', async () => {
    await writeFile(join(dir, '1_t1.nii.gz'), gzipSync(Buffer.concat([Buffer.from([92, 1, 0, 0]), Buffer.alloc(600, 7)])))
    const err = await problemsOf(extractArchive(join(dir, '1_t1.nii.gz'), join(dir, 'out'), limits))
    expect(err.message).toBe(
      'the upload is gzip-compressed but not a .tar.gz archive (a single .nii.gz image?): ' +
        'upload a .zip or .tar.gz holding the files, ' +
        'e.g. made with `tar czf upload.tar.gz -C DIR .` or `cd DIR && zip -r ../upload.zip .`',
    )
  })

  it('refuses a truncated .tar.gz', async () => {
    await writeTarGz(join(dir, 'a.tar.gz'), [{ name: 'a.mha', data: Buffer.alloc(100_000, 1) }])
    const whole = await readFile(join(dir, 'a.tar.gz'))
    await writeFile(join(dir, 'b.tar.gz'), whole.subarray(0, whole.length / 2))
    const err = await problemsOf(extractArchive(join(dir, 'b.tar.gz'), join(dir, 'out'), limits))
    expect(err.message).toMatch(/^the \.tar\.gz archive is unreadable: /)
  })
})
