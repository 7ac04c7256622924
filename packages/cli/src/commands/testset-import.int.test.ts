import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { startHarness, apiClient, PHASE_BODY, mhaBytes, type Harness } from '@spider-bench/api/testing'
import { command } from './testset-import.ts'

describe('spider-bench testset import', () => {
  let h: Harness
  let token: string
  let dir: string

  beforeAll(async () => {
    h = await startHarness('postgres')
    token = (await h.user('org', 'organiser')).token
    const api = apiClient(h.url, h.dataDir)
    expect((await api.json(token, 'POST', '/api/v1/challenges', { slug: 'spine', title: 'Spine' })).status).toBe(201)
    expect((await api.json(token, 'POST', '/api/v1/challenges/spine/phases', PHASE_BODY)).status).toBe(201)
    dir = join(h.dataDir, 'set')
    await mkdir(join(dir, 'images'), { recursive: true })
    await mkdir(join(dir, 'masks'), { recursive: true })
    for (const name of ['1_t1', '1_t2', '2_t2_SPACE']) {
      await writeFile(join(dir, 'images', `${name}.mha`), await mhaBytes('image'))
      await writeFile(join(dir, 'masks', `${name}.mha`), await mhaBytes('mask'))
    }
    await writeFile(join(dir, 'overview.csv'), 'new_file_name,age\n1_t1,40\n')
  })
  afterAll(async () => {
    await h?.close()
  })

  it('uploads the folder and reports the new version', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined)
    try {
      expect(await command.run(['--challenge', 'spine', '--phase', 'final', '--url', h.url, '--token', token, dir])).toBe(0)
      expect(log).toHaveBeenCalledWith('imported test set version 1 of spine/final: 3 series')
    } finally {
      log.mockRestore()
    }
    const series = await h.db.prisma.testSeries.findMany({ orderBy: { name: 'asc' } })
    expect(series.map((s) => [s.name, s.sequence])).toEqual([
      ['1_t1', 't1'],
      ['1_t2', 't2'],
      ['2_t2_SPACE', 't2_SPACE'],
    ])
    expect(series[0].meta).toEqual({ new_file_name: '1_t1', age: '40' })
  })

  it('prints every problem the server lists and exits 1', async () => {
    await writeFile(join(dir, 'masks', '9_t1.mha'), await mhaBytes('mask'))
    await writeFile(join(dir, 'images', 'notes.txt'), 'x')
    const err = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    try {
      expect(await command.run(['--challenge', 'spine', '--phase', 'final', '--url', h.url, '--token', token, dir])).toBe(1)
      const lines = err.mock.calls.map((c) => String(c[0]))
      expect(lines[0]).toBe('spider-bench testset import: the server refused the test set (HTTP 422): the test set has 2 problems')
      expect(lines).toContain('  images/notes.txt: not an image file (expected one of .nii.gz, .mha, .mhd, .nii, .nrrd, .nhdr)')
      expect(lines).toContain('  masks/9_t1.mha: no image images/9_t1.mha for this mask')
    } finally {
      err.mockRestore()
    }
  })

  it('refuses bad usage with clear messages', async () => {
    await expect(command.run(['--phase', 'final', dir])).rejects.toThrow('--challenge is required')
    await expect(command.run(['--challenge', 'c', '--phase', 'p', '--token', 't', join(dir, 'nope')])).rejects.toThrow(/nope/)
    await expect(command.run(['--challenge', 'c', '--phase', 'p', '--token', 't', '--url', 'ftp://x', dir])).rejects.toThrow(
      '--url must be an http(s) URL, got "ftp://x"',
    )
  })
})
