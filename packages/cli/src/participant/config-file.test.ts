import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { homedir, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { configPath, readStoredLogin, removeLogin, resolveLogin, saveLogin } from './config-file.ts'
import { ParticipantError } from './errors.ts'

describe('participant config file', () => {
  let home: string
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'spider-config-'))
  })
  afterEach(async () => {
    await rm(home, { recursive: true, force: true })
  })

  it('lives under $XDG_CONFIG_HOME, else ~/.config (a relative XDG_CONFIG_HOME is ignored, as the spec says)', () => {
    expect(configPath({ XDG_CONFIG_HOME: home })).toBe(join(home, 'spider-bench', 'config.json'))
    expect(configPath({})).toBe(join(homedir(), '.config', 'spider-bench', 'config.json'))
    expect(configPath({ XDG_CONFIG_HOME: 'relative/dir' })).toBe(join(homedir(), '.config', 'spider-bench', 'config.json'))
  })

  it('is written with mode 0600 (also over an existing file that others could read) and removed by logout', async () => {
    const file = configPath({ XDG_CONFIG_HOME: home })
    await mkdir(dirname(file), { recursive: true })
    await writeFile(file, '{}', { mode: 0o644 })
    await saveLogin({ url: 'https://bench.example.org', token: 'sb_x' }, file)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ url: 'https://bench.example.org', token: 'sb_x' })
    expect(await readStoredLogin(file)).toEqual({ url: 'https://bench.example.org', token: 'sb_x' })
    expect(await removeLogin(file)).toBe(true)
    expect(await removeLogin(file)).toBe(false)
    expect(await readStoredLogin(file)).toBeNull()
  })

  it('SPIDER_BENCH_URL and SPIDER_BENCH_TOKEN override the stored login, each on its own', async () => {
    const env = { XDG_CONFIG_HOME: home }
    await saveLogin({ url: 'https://stored.example.org/', token: 'stored' }, configPath(env))
    expect(await resolveLogin(env)).toEqual({
      url: 'https://stored.example.org',
      token: 'stored',
      urlFrom: 'config file',
      tokenFrom: 'config file',
    })
    expect(await resolveLogin({ ...env, SPIDER_BENCH_TOKEN: 'env' })).toMatchObject({
      url: 'https://stored.example.org',
      token: 'env',
      tokenFrom: 'SPIDER_BENCH_TOKEN',
    })
    expect(await resolveLogin({ ...env, SPIDER_BENCH_URL: 'http://other:3000' })).toMatchObject({
      url: 'http://other:3000',
      token: 'stored',
      urlFrom: 'SPIDER_BENCH_URL',
    })
  })

  it('says how to log in when nothing is stored, and names a damaged file', async () => {
    const env = { XDG_CONFIG_HOME: home }
    await expect(resolveLogin(env)).rejects.toThrow(
      'not logged in (no server URL and API token): ' +
        'run "spider-bench login --url URL --token TOKEN", or set SPIDER_BENCH_URL and SPIDER_BENCH_TOKEN',
    )
    await expect(resolveLogin({ ...env, SPIDER_BENCH_URL: 'http://x' })).rejects.toThrow('not logged in (no API token)')
    expect(await resolveLogin({ ...env, SPIDER_BENCH_URL: 'http://x' }, true)).toMatchObject({ url: 'http://x', token: '' })
    await expect(resolveLogin({ ...env, SPIDER_BENCH_URL: 'ftp://x', SPIDER_BENCH_TOKEN: 't' })).rejects.toThrow(
      'SPIDER_BENCH_URL must be an http(s) URL, got "ftp://x"',
    )
    const file = configPath(env)
    await mkdir(dirname(file), { recursive: true })
    await writeFile(file, '{"url": ')
    await expect(resolveLogin(env)).rejects.toThrow(
      new ParticipantError(`${file} is not valid JSON; run "spider-bench login --url URL --token TOKEN" again`),
    )
  })
})
