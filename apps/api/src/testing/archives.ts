import { createWriteStream } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { pipeline } from 'node:stream/promises'
import { crc32, deflateRawSync, createGzip } from 'node:zlib'
import tar from 'tar-stream'

/** An archive entry for tests; `mode` sets the Unix file type/permissions (e.g. symlinks). */
export interface TestEntry {
  readonly name: string
  readonly data?: Buffer | string
  /** Unix mode including the file-type bits; default a regular file 0644. */
  readonly mode?: number
  /** tar only: entry type other than a file. */
  readonly type?: 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo' | 'directory'
  readonly linkname?: string
}

/**
 * Writes a .zip (deflate) by hand, so tests can build archives that real tools refuse to
 * make: `..` and absolute names, symlink and device entries.
 */
export async function writeZip(file: string, entries: TestEntry[]): Promise<void> {
  const locals: Buffer[] = []
  const centrals: Buffer[] = []
  let offset = 0
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8')
    const data = Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data ?? '')
    const compressed = deflateRawSync(data)
    const crc = crc32(data)
    const mode = e.mode ?? 0o100644
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4)
    local.writeUInt16LE(0x0800, 6) // UTF-8 names
    local.writeUInt16LE(8, 8) // deflate
    local.writeUInt32LE(crc, 14)
    local.writeUInt32LE(compressed.length, 18)
    local.writeUInt32LE(data.length, 22)
    local.writeUInt16LE(name.length, 26)
    const central = Buffer.alloc(46)
    central.writeUInt32LE(0x02014b50, 0)
    central.writeUInt16LE((3 << 8) | 20, 4) // made by Unix
    central.writeUInt16LE(20, 6)
    central.writeUInt16LE(0x0800, 8)
    central.writeUInt16LE(8, 10)
    central.writeUInt32LE(crc, 16)
    central.writeUInt32LE(compressed.length, 20)
    central.writeUInt32LE(data.length, 24)
    central.writeUInt16LE(name.length, 28)
    central.writeUInt32LE((mode << 16) >>> 0, 38)
    central.writeUInt32LE(offset, 42)
    locals.push(local, name, compressed)
    centrals.push(central, name)
    offset += local.length + name.length + compressed.length
  }
  const cd = Buffer.concat(centrals)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(entries.length, 8)
  end.writeUInt16LE(entries.length, 10)
  end.writeUInt32LE(cd.length, 12)
  end.writeUInt32LE(offset, 16)
  await writeFile(file, Buffer.concat([...locals, cd, end]))
}

/** Writes a .tar.gz with tar-stream; entries may be links or device files. */
export async function writeTarGz(file: string, entries: TestEntry[]): Promise<void> {
  const pack = tar.pack()
  const done = pipeline(pack, createGzip(), createWriteStream(file))
  for (const e of entries) {
    const type = e.type ?? 'file'
    if (type === 'file') {
      const data = Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data ?? '')
      await new Promise<void>((resolve, reject) =>
        pack.entry({ name: e.name, mode: e.mode ?? 0o644 }, data, (err) => (err ? reject(err) : resolve())),
      )
    } else {
      await new Promise<void>((resolve, reject) =>
        pack.entry({ name: e.name, type, linkname: e.linkname ?? '' }, (err) => (err ? reject(err) : resolve())).end(Buffer.alloc(0)),
      )
    }
  }
  pack.finalize()
  await done
}
