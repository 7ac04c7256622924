import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { synthesize } from '@spider-bench/synth'
import { startWorkers, type RunningWorkers } from '@spider-bench/worker'
import { startHarness, type Harness } from '../../apps/api/src/testing/harness.ts'
import { apiClient, PHASE_BODY } from '../../apps/api/src/testing/client.ts'
import type { TestEntry } from '../../apps/api/src/testing/archives.ts'

type Cell = { mean: number | null; std: number | null; count: number } | null
interface Aggregates {
  sequence: string | null
  sequences: string[]
  tiedForFirst: string[]
  rows: Array<{ rank: number; submissionId: string; metrics: Record<string, Cell>; withheld?: string[] }>
}

/**
 * The leaderboard views the pages read, through real HTTP with a real worker: spread and
 * per-sequence values equal the evaluation's stored aggregates where the phase shows
 * per-series results to their owners, and under "organisers" the public gets no spread and
 * no value over fewer than MIN_AGGREGATE_SERIES series, as on the board.
 */
describe('leaderboard aggregates and history (postgres)', () => {
  let h: Harness
  let workers: RunningWorkers
  let api: ReturnType<typeof apiClient>
  const ids: Record<string, string> = {}
  const base = (phase: string) => `/api/v1/challenges/spine/phases/${phase}/leaderboard`
  const get = async <T>(path: string) => {
    const res = await api.json(undefined, 'GET', path)
    expect(res.status, path).toBe(200)
    return (await res.json()) as T
  }

  beforeAll(async () => {
    h = await startHarness('postgres', { minAggregateSeries: 3 })
    api = apiClient(h.url, h.dataDir)
    const synth = join(h.dataDir, 'synth')
    await synthesize({ out: synth, studies: 2, seed: 5, size: 'small', predictions: { good: 'dilate:1' } })
    const set: TestEntry[] = []
    for (const folder of ['images', 'masks'])
      for (const f of (await readdir(join(synth, folder))).sort())
        set.push({ name: `${folder}/${f}`, data: await readFile(join(synth, folder, f)) })
    const preds: TestEntry[] = []
    for (const f of (await readdir(join(synth, 'predictions/good'))).sort())
      preds.push({ name: f, data: await readFile(join(synth, 'predictions/good', f)) })
    const org = (await h.user('org', 'organiser')).token
    const alice = (await h.user('alice', 'participant')).token
    expect((await api.json(org, 'POST', '/api/v1/challenges', { slug: 'spine', title: 'Spine' })).status).toBe(201)
    workers = await startWorkers({
      prisma: h.db.prisma,
      storage: h.storage,
      redisUrl: h.config.redisUrl,
      queuePrefix: h.config.queuePrefix,
      config: { concurrency: 2, reconcileIntervalMs: 3_600_000, reconcileGraceMs: 3_600_000 },
    })
    for (const [slug, visibility] of [
      ['owner', 'owner'],
      ['organisers', 'organisers'],
    ]) {
      expect(
        (await api.json(org, 'POST', '/api/v1/challenges/spine/phases', { ...PHASE_BODY, slug, perSeriesVisibility: visibility })).status,
      ).toBe(201)
      expect(
        (await api.multipart(org, 'PUT', `/api/v1/challenges/spine/phases/${slug}/test-set`, { archive: await api.archive(set) })).status,
      ).toBe(200)
      const res = await api.multipart(alice, 'POST', `/api/v1/challenges/spine/phases/${slug}/submissions`, {
        kind: 'predictions',
        predictions: await api.archive(preds),
      })
      expect(res.status).toBe(202)
      ids[slug] = ((await res.json()) as { id: string }).id
    }
    for (const slug of Object.keys(ids)) {
      for (let i = 0; i < 600 && (await get<{ version: number }>(base(slug))).version < 1; i++) await new Promise((r) => setTimeout(r, 250))
    }
  })

  afterAll(async () => {
    await workers?.close()
    await h?.close()
  })

  it('gives mean, sd and count per metric, overall and per sequence, equal to the stored aggregates (owner visibility)', async () => {
    const evaluation = await h.db.prisma.evaluation.findFirstOrThrow({ where: { submissionId: ids.owner, status: 'succeeded' } })
    const stored = evaluation.aggregates as Record<string, { mean: number; std: number | null; count: number }>
    const bySequence = evaluation.bySequence as Record<string, Record<string, { mean: number; std: number | null; count: number }>>
    const all = await get<Aggregates>(`${base('owner')}/aggregates`)
    expect(all.sequences).toEqual(['t1', 't2', 't2_SPACE'].filter((s) => s in bySequence))
    expect(all.rows).toHaveLength(1)
    for (const [k, v] of Object.entries(stored)) expect(all.rows[0].metrics[k]).toEqual({ mean: v.mean, std: v.std, count: v.count })
    const t1 = await get<Aggregates>(`${base('owner')}/aggregates?sequence=t1`)
    expect(t1.sequence).toBe('t1')
    for (const [k, v] of Object.entries(bySequence.t1)) expect(t1.rows[0].metrics[k]).toEqual({ mean: v.mean, std: v.std, count: v.count })
    expect(t1.rows[0].rank).toBe(1)
    // The ties for first are the stability figures' own.
    const stability = await get<{ tiedForFirst: string[] }>(`${base('owner')}/stability`)
    expect(all.tiedForFirst).toEqual(stability.tiedForFirst)
    const history = await get<{ metric: string; points: Array<{ leaders: Array<{ submissionId: string; value: number | null }> }> }>(
      `${base('owner')}/history`,
    )
    expect(history.metric).toBe('DiceVertebrae')
    expect(history.points.at(-1)?.leaders).toEqual([expect.objectContaining({ submissionId: ids.owner, value: stored.DiceVertebrae.mean })])
    expect((await api.json(undefined, 'GET', `${base('owner')}/aggregates?sequence=t3`)).status).toBe(400)
  })

  it('withholds the spread and values over fewer than MIN_AGGREGATE_SERIES series when per-series results are for organisers', async () => {
    const evaluation = await h.db.prisma.evaluation.findFirstOrThrow({ where: { submissionId: ids.organisers, status: 'succeeded' } })
    const stored = evaluation.aggregates as Record<string, { mean: number; count: number }>
    const bySequence = evaluation.bySequence as Record<string, Record<string, { mean: number; count: number }>>
    const all = await get<Aggregates>(`${base('organisers')}/aggregates`)
    for (const [k, v] of Object.entries(stored)) {
      expect(all.rows[0].metrics[k]).toEqual({ mean: v.count >= 3 ? v.mean : null, std: null, count: v.count })
    }
    // Each sequence has fewer than 3 series here: nothing but counts.
    for (const sequence of Object.keys(bySequence)) {
      const view = await get<Aggregates>(`${base('organisers')}/aggregates?sequence=${sequence}`)
      const counts = Object.values(bySequence[sequence]).map((v) => v.count)
      expect(Math.max(...counts)).toBeLessThan(3)
      for (const cell of Object.values(view.rows[0].metrics)) expect(cell === null || (cell.mean === null && cell.std === null)).toBe(true)
      expect(view.rows[0].withheld?.length).toBeGreaterThan(0)
    }
  })
})
