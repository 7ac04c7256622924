import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { isDeadLocalProcess, newUploadFolderName, processIdentity, sweepUploadTmp } from './upload-tmp.ts'

const HOST = hostname().replace(/[^A-Za-z0-9.]/g, '_')
const ID = '0b7c4e0e-0d0e-4b8c-9f7a-2f1e8d7c6b5a'
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
    // A process that ran and ended: its folders are what a killed API leaves.
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 200)'])
    const deadStart = await startTime(child.pid ?? 0)
    await new Promise((r) => child.once('exit', r))
    const dead = `${HOST}-${child.pid}-${deadStart}`
    // The parent of this test runner runs, with its real start time; a reused pid does not match.
    const live = `${HOST}-${process.ppid}-${await startTime(process.ppid)}`
    const reused = `${HOST}-${process.ppid}-1`
    const otherHost = 'other-host.example-1-1'
    const oldLegacy = ID
    const newLegacy = ID.replace('0b', '1b')
    const own = newUploadFolderName()
    const names = [`${dead}-${ID}`, `${live}-${ID}`, `${reused}-${ID}`, `${otherHost}-${ID}`, oldLegacy, newLegacy, own, 'unrelated']
    for (const name of names) {
      await mkdir(join(root, name), { recursive: true })
      await writeFile(join(root, name, 'upload-predictions'), 'partial body')
    }
    const hoursAgo = new Date(Date.now() - 2 * 3_600_000)
    await utimes(join(root, oldLegacy), hoursAgo, hoursAgo)

    expect((await sweepUploadTmp(root)).sort()).toEqual([`${dead}-${ID}`, oldLegacy, `${reused}-${ID}`].sort())
    expect((await readdir(root)).sort()).toEqual([`${live}-${ID}`, `${otherHost}-${ID}`, newLegacy, own, 'unrelated'].sort())
    expect(own.startsWith(`${processIdentity()}-`)).toBe(true)
    expect(isDeadLocalProcess(dead)).toBe(true)
    expect(isDeadLocalProcess(processIdentity())).toBe(false)
    expect(isDeadLocalProcess('other-host.example-1-1')).toBe(false)
  })

  it('is a no-op without a tmp folder', async () => {
    expect(await sweepUploadTmp(join(root, 'missing'))).toEqual([])
  })
})
