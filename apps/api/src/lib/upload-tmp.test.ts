import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { isDeadLocalProcess, processIdentity, processUploadDir, sweepUploadTmp } from './upload-tmp.ts'

const HOST = hostname().replace(/[^A-Za-z0-9.]/g, '_')
const startTime = async (pid: number) => {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
}

let root: string
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'upload-tmp-'))
})
afterEach(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('upload temp folders', () => {
  it('removes the folders of processes of this host that no longer run, and nothing else', async () => {
    // A process that ran and ended: its folder is what a killed API leaves.
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 200)'])
    const deadStart = await startTime(child.pid ?? 0)
    await new Promise((r) => child.once('exit', r))
    const dead = `${HOST}-${child.pid}-${deadStart}`
    // The parent of this test runner runs, with its real start time; a reused pid does not match.
    const live = `${HOST}-${process.ppid}-${await startTime(process.ppid)}`
    const reused = `${HOST}-${process.ppid}-1`
    const otherHost = 'other.host-1-1'
    const oldLegacy = '0b7c4e0e-0d0e-4b8c-9f7a-2f1e8d7c6b5a'
    const newLegacy = '1b7c4e0e-0d0e-4b8c-9f7a-2f1e8d7c6b5a'
    for (const name of [dead, live, reused, otherHost, oldLegacy, newLegacy]) {
      await mkdir(join(root, name, 'upload'), { recursive: true })
      await writeFile(join(root, name, 'upload', 'upload-predictions'), 'partial body')
    }
    const hourAgo = new Date(Date.now() - 2 * 3_600_000)
    await utimes(join(root, oldLegacy), hourAgo, hourAgo)
    await mkdir(processUploadDir(root))

    expect((await sweepUploadTmp(root)).sort()).toEqual([dead, oldLegacy, reused].sort())
    expect((await readdir(root)).sort()).toEqual([live, otherHost, newLegacy, processIdentity()].sort())
    expect(isDeadLocalProcess(dead)).toBe(true)
    expect(isDeadLocalProcess(processIdentity())).toBe(false)
    expect(isDeadLocalProcess(otherHost)).toBe(false)
  })

  it('is a no-op without a tmp folder', async () => {
    expect(await sweepUploadTmp(join(root, 'missing'))).toEqual([])
  })
})
