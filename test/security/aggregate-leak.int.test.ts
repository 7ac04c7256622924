/**
 * Finding 4: per-series values leak through aggregates. Under perSeriesVisibility
 * "organisers", `/series` is refused, but the min, median and max of a three-series test set
 * are its three per-series values. Now participants get only means and counts, and nothing
 * computed over fewer than MIN_AGGREGATE_SERIES series, in the submission view, the list of
 * submissions and the public leaderboard. Real API, real worker, real scorer.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { openAsBlob } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pino } from 'pino'
import { synthesize } from '@spider-bench/synth'
import { startWorkers, type RunningWorkers } from '@spider-bench/worker'
import { startHarness, type Harness } from '../../apps/api/src/testing/harness.ts'
import { writeZip, type TestEntry } from '../../apps/api/src/testing/archives.ts'
import { PHASE_BODY } from '../../apps/api/src/testing/client.ts'

type Aggregate = {
  mean: number | null
  std?: number | null
  median?: number | null
  min?: number | null
  max?: number | null
  count: number
  withheld?: string
}
interface SubmissionBody {
  id: string
  status: string
  aggregates?: Record<string, Aggregate>
}
interface Board {
  method: string
  rows: Array<{ submissionId: string; rankScore: number | null; metrics: Record<string, number | null>; withheld?: string[] }>
}

const MIN = 5

describe('aggregates under perSeriesVisibility "organisers" (finding 4)', () => {
  let h: Harness
  let workers: RunningWorkers
  let organiser: string
  let alice: string
  const synth: Record<'small' | 'large', string> = { small: '', large: '' }
  const submissions: Record<'small' | 'large', string> = { small: '', large: '' }
  const base = '/api/v1/challenges/leaky/phases'

  const call = (token: string | null, method: string, path: string, body?: unknown) =>
    fetch(`${h.url}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    })
  const json = async <T>(res: Response | Promise<Response>, status = 200): Promise<T> => {
    const r = await res
    expect(r.status, await r.clone().text()).toBe(status)
    return (await r.json()) as T
  }

  async function upload(token: string, path: string, field: string, dir: string, folders: string[], name: string) {
    const entries: TestEntry[] = []
    for (const folder of folders)
      for (const f of (await readdir(join(dir, folder))).sort())
        entries.push({ name: `${folder}/${f}`, data: await readFile(join(dir, folder, f)) })
    const archive = join(h.dataDir, `${name}.zip`)
    await writeZip(archive, entries)
    const form = new FormData()
    if (field === 'predictions') form.append('kind', 'predictions')
    form.append(field, await openAsBlob(archive), `${name}.zip`)
    return fetch(`${h.url}${path}`, {
      method: path.endsWith('test-set') ? 'PUT' : 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: form,
    })
  }

  async function waitSucceeded(id: string): Promise<void> {
    const until = Date.now() + 150_000
    for (;;) {
      const s = await h.db.prisma.submission.findUniqueOrThrow({ where: { id } })
      if (s.status === 'succeeded') return
      if (s.status === 'failed' || Date.now() > until) throw new Error(`submission ${id} is ${s.status}: ${s.error ?? ''}`)
      await new Promise((r) => setTimeout(r, 200))
    }
  }

  beforeAll(async () => {
    h = await startHarness('postgres', { minAggregateSeries: MIN })
    organiser = (await h.user('leak-org', 'organiser')).token
    alice = (await h.user('leak-alice', 'participant')).token
    // A three-series test set (below the minimum) and a five-series one (at it).
    synth.small = join(h.dataDir, 'synth-small')
    synth.large = join(h.dataDir, 'synth-large')
    await synthesize({ out: synth.small, studies: 3, seed: 11, size: 'small', sequences: ['t1'], predictions: { ok: 'shift:1' } })
    await synthesize({ out: synth.large, studies: 2, seed: 5, size: 'small', predictions: { ok: 'shift:1' } })
    expect((await call(organiser, 'POST', '/api/v1/challenges', { slug: 'leaky', title: 'Leaky' })).status).toBe(201)
    for (const size of ['small', 'large'] as const) {
      // "small" starts as "owner" and is switched below: the switch must reach cached boards too.
      const phase = {
        ...PHASE_BODY,
        slug: size,
        submissionLimit: null,
        perSeriesVisibility: size === 'small' ? 'owner' : 'organisers',
        ranking: { method: 'absolute', metrics: [{ key: 'DiceVertebrae', order: 'desc' }] },
      }
      expect((await call(organiser, 'POST', base, phase)).status).toBe(201)
      expect(
        (await upload(organiser, `${base}/${size}/test-set`, 'archive', synth[size], ['images', 'masks'], `testset-${size}`)).status,
      ).toBe(200)
    }
    workers = await startWorkers({
      prisma: h.db.prisma,
      storage: h.storage,
      redisUrl: h.config.redisUrl,
      queuePrefix: h.config.queuePrefix,
      config: { concurrency: 2, reconcileIntervalMs: 3_600_000, reconcileGraceMs: 3_600_000 },
      logger: pino({ level: 'silent' }),
    })
    for (const size of ['small', 'large'] as const) {
      const res = await upload(
        alice,
        `${base}/${size}/submissions`,
        'predictions',
        join(synth[size], 'predictions'),
        ['ok'],
        `alice-${size}`,
      )
      submissions[size] = (await json<{ id: string }>(res, 202)).id
    }
    await Promise.all([waitSucceeded(submissions.small), waitSucceeded(submissions.large)])
  })

  afterAll(async () => {
    await workers?.close()
    await h?.close()
  })

  it('the attack: with the full aggregates, min, median and max of three series are the per-series values', async () => {
    // What the organiser sees (and what a participant saw before): the rebuild succeeds.
    const full = await json<SubmissionBody>(call(organiser, 'GET', `/api/v1/submissions/${submissions.small}`))
    const series = await json<{ series: Array<{ metrics: Record<string, number | null> }> }>(
      call(organiser, 'GET', `/api/v1/submissions/${submissions.small}/series`),
    )
    expect(series.series).toHaveLength(3)
    for (const key of ['DiceVertebrae', 'DiceDiscs', 'ASDVertebrae']) {
      const a = full.aggregates?.[key] as Aggregate
      const truth = series.series.map((s) => s.metrics[key] as number).sort((x, y) => x - y)
      expect([a.min, a.median, a.max]).toEqual(truth)
    }
  })

  it('a participant sees means and counts only, and no value computed over fewer than MIN_AGGREGATE_SERIES series', async () => {
    expect((await call(organiser, 'PATCH', `${base}/small`, { perSeriesVisibility: 'organisers' })).status).toBe(200)
    expect((await call(alice, 'GET', `/api/v1/submissions/${submissions.small}/series`)).status).toBe(403)
    const small = await json<SubmissionBody>(call(alice, 'GET', `/api/v1/submissions/${submissions.small}`))
    const full = await json<SubmissionBody>(call(organiser, 'GET', `/api/v1/submissions/${submissions.small}`))
    expect(Object.keys(small.aggregates ?? {})).toEqual(Object.keys(full.aggregates ?? {}))
    for (const [key, value] of Object.entries(small.aggregates ?? {})) {
      expect(value, key).toEqual({
        mean: null,
        count: 3,
        withheld: `computed over 3 series; participants see only values computed over at least ${MIN} series`,
      })
    }
    // Five series: the means, exactly the scorer's, and nothing else.
    const large = await json<SubmissionBody>(call(alice, 'GET', `/api/v1/submissions/${submissions.large}`))
    const largeFull = await json<SubmissionBody>(call(organiser, 'GET', `/api/v1/submissions/${submissions.large}`))
    for (const [key, value] of Object.entries(large.aggregates ?? {})) {
      expect(Object.keys(value).sort(), key).toEqual(['count', 'mean'])
      expect(value).toEqual({ mean: largeFull.aggregates?.[key].mean, count: 5 })
    }
    expect(largeFull.aggregates?.DiceVertebrae).toMatchObject({
      count: 5,
      min: expect.any(Number),
      max: expect.any(Number),
      median: expect.any(Number),
      std: expect.any(Number),
    })
    // The list of submissions applies the same rule.
    const listed = await json<SubmissionBody[]>(call(alice, 'GET', `${base}/small/submissions?mine=1`))
    expect(listed.map((s) => s.aggregates)).toEqual([small.aggregates])
  })

  it('the public leaderboard withholds values over fewer than MIN_AGGREGATE_SERIES series, cached boards included', async () => {
    // Both phases are under "organisers" now (the small one since the previous test).
    const small = await json<Board>(call(null, 'GET', `${base}/small/leaderboard`))
    expect(small.rows).toHaveLength(1)
    expect(Object.values(small.rows[0].metrics).every((v) => v === null)).toBe(true)
    expect(small.rows[0].withheld?.length).toBe(Object.keys(small.rows[0].metrics).length)
    expect(small.rows[0].rankScore).toBeNull() // absolute ranking: the rank score is the first column's value
    expect(JSON.stringify(small)).not.toContain('counts')
    const large = await json<Board>(call(null, 'GET', `${base}/large/leaderboard`))
    const largeFull = await json<SubmissionBody>(call(organiser, 'GET', `/api/v1/submissions/${submissions.large}`))
    expect(large.rows[0].withheld).toBeUndefined()
    expect(large.rows[0].metrics.DiceVertebrae).toBe(largeFull.aggregates?.DiceVertebrae.mean)
    expect(large.rows[0].rankScore).toBe(largeFull.aggregates?.DiceVertebrae.mean)

    // Back to "owner": the values appear at once; to "organisers" again: gone at once (no cache).
    expect((await call(organiser, 'PATCH', `${base}/small`, { perSeriesVisibility: 'owner' })).status).toBe(200)
    const open = await json<Board>(call(null, 'GET', `${base}/small/leaderboard`))
    expect(open.rows[0].metrics.DiceVertebrae).toEqual(expect.any(Number))
    expect((await call(organiser, 'PATCH', `${base}/small`, { perSeriesVisibility: 'organisers' })).status).toBe(200)
    const closed = await json<Board>(call(null, 'GET', `${base}/small/leaderboard`))
    expect(closed.rows[0].metrics.DiceVertebrae).toBeNull()
  })
})
