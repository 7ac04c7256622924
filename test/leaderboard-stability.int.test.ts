/**
 * End to end: the rank stability figures of leaderboard snapshots on a real evaluation flow
 * (API, evaluation worker in-process, Redis, Postgres and PGlite). Every snapshot stores its
 * figures; the stability route and the rows' `uncertainty` serve them (now and `?at=`), and
 * `spider-bench rank` on the same `spider-bench score` documents with the snapshot's seed
 * reproduces them exactly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { openAsBlob } from 'node:fs'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { runCli } from '../packages/cli/src/testing/run-cli.ts'
import { stabilitySeed } from '@spider-bench/leaderboard'
import { scoreDirectories, type ResultDocument } from '@spider-bench/scoring'
import { synthesize } from '@spider-bench/synth'
import { startWorkers, type RunningWorkers } from '@spider-bench/worker'
import { writeZip, type TestEntry } from '../apps/api/src/testing/archives.ts'
import { startHarness, type Backend, type Harness } from '../apps/api/src/testing/harness.ts'

const PREDICTIONS = { good: 'dilate:1', ok: 'shift:1', bad: 'drop:disc,shift:2' } as const
type Pred = keyof typeof PREDICTIONS
const RANKING = [
  { key: 'DiceVertebrae', order: 'desc' },
  { key: 'ASDVertebrae', order: 'asc' },
  { key: 'DiceDiscs', order: 'desc' },
] as const

interface Uncertainty {
  medianRank: number
  rankInterval: [number, number]
  pFirst: number
}
interface Board {
  version: number
  rows: Array<{ rank: number; submissionId: string; uncertainty: Uncertainty | null }>
}
interface Stability {
  version: number
  computedAt: string | null
  samples: number
  seed: number | null
  alpha: number | null
  series: number
  kendallTau: { median: number; q25: number; q75: number } | null
  entries: Array<Uncertainty & { submissionId: string; beats: string[] }>
  metrics: Array<{
    key: string
    order: string
    entries: string[]
    pValues: (number | null)[][]
    adjusted: (number | null)[][]
    significant: boolean[][]
  }>
  tiedForFirst: string[]
}

for (const backend of ['postgres', 'pglite'] as Backend[]) {
  describe(`leaderboard stability end to end (${backend})`, () => {
    let h: Harness
    let workers: RunningWorkers
    let organiser: string
    let phaseId: string
    let synthDir: string
    let between = ''
    const tokens: Record<string, string> = {}
    const docs = new Map<Pred, ResultDocument>()
    const subs: Record<string, { submissionId: string; evaluationId: string; pred: Pred }> = {}
    const base = '/api/v1/challenges/spine/phases/final'

    const call = (token: string | null, method: string, path: string, body?: unknown) =>
      fetch(`${h.url}${path}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      })
    const get = async <T>(path: string): Promise<T> => {
      const res = await call(null, 'GET', path)
      expect(res.status, await res.clone().text()).toBe(200)
      return (await res.json()) as T
    }

    async function waitSnapshot(version: number, timeoutMs = 150_000): Promise<void> {
      const until = Date.now() + timeoutMs
      while ((await h.db.prisma.leaderboardSnapshot.count({ where: { phaseId } })) < version) {
        const failed = await h.db.prisma.evaluation.findFirst({ where: { status: 'failed' } })
        if (failed) throw new Error(`evaluation ${failed.id} failed: ${failed.error}`)
        if (Date.now() > until) throw new Error(`snapshot ${version} not made in time`)
        await new Promise((r) => setTimeout(r, 200))
      }
    }

    async function submit(who: string, pred: Pred) {
      const dir = join(synthDir, 'predictions', pred)
      const entries: TestEntry[] = []
      for (const f of (await readdir(dir)).sort()) entries.push({ name: `preds/${f}`, data: await readFile(join(dir, f)) })
      const archive = join(h.dataDir, `${who}-${pred}.zip`)
      await writeZip(archive, entries)
      const form = new FormData()
      form.append('kind', 'predictions')
      form.append('predictions', await openAsBlob(archive), `${pred}.zip`)
      const res = await fetch(`${h.url}${base}/submissions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens[who]}` },
        body: form,
      })
      expect(res.status, await res.clone().text()).toBe(202)
      const { id } = (await res.json()) as { id: string }
      const evaluation = await h.db.prisma.evaluation.findFirstOrThrow({ where: { submissionId: id } })
      subs[who] = { submissionId: id, evaluationId: evaluation.id, pred }
    }

    /** `spider-bench rank` on the score documents of `who`, each file named after its submission. */
    async function cliFigures(who: string[], seed: number, samples: number): Promise<Omit<Stability, 'version' | 'computedAt'>> {
      const files: string[] = []
      for (const w of who) {
        const file = join(h.dataDir, `${subs[w].submissionId}.json`)
        await writeFile(file, JSON.stringify(docs.get(subs[w].pred)))
        files.push(file)
      }
      const out = join(h.dataDir, `rank-${seed}.json`)
      const metrics = RANKING.map((c) => `${c.key}:${c.order}`).join(',')
      const r = await runCli([
        'rank',
        ...files,
        '--method',
        'mean-position',
        '--metrics',
        metrics,
        '--seed',
        String(seed),
        '--samples',
        String(samples),
        '--json',
        out,
      ])
      expect(r.code, r.err).toBe(0)
      return (JSON.parse(await readFile(out, 'utf8')) as { stability: Omit<Stability, 'version' | 'computedAt'> }).stability
    }

    beforeAll(async () => {
      h = await startHarness(backend)
      synthDir = join(h.dataDir, 'synth')
      await synthesize({ out: synthDir, studies: 4, seed: 8, size: 'small', predictions: { ...PREDICTIONS } })
      for (const pred of Object.keys(PREDICTIONS) as Pred[]) {
        docs.set(
          pred,
          (await scoreDirectories({ truthDir: join(synthDir, 'masks'), predDir: join(synthDir, 'predictions', pred), threads: 1 }))
            .document,
        )
      }
      organiser = (await h.user('org', 'organiser')).token
      for (const who of ['alice', 'bob', 'carol']) tokens[who] = (await h.user(who, 'participant')).token
      workers = await startWorkers({
        prisma: h.db.prisma,
        storage: h.storage,
        redisUrl: h.config.redisUrl,
        queuePrefix: h.config.queuePrefix,
        config: { concurrency: 2, reconcileIntervalMs: 3_600_000, reconcileGraceMs: 3_600_000 },
        logger: pino({ level: 'silent' }),
      })
    })

    afterAll(async () => {
      await workers?.close()
      await h?.close()
    })

    it('creates a phase with its own number of bootstrap samples; no snapshot, no figures', async () => {
      expect((await call(organiser, 'POST', '/api/v1/challenges', { slug: 'spine', title: 'Spine' })).status).toBe(201)
      const res = await call(organiser, 'POST', '/api/v1/challenges/spine/phases', {
        slug: 'final',
        title: 'Final',
        scoringProfile: 'spider',
        submissionKinds: ['predictions'],
        ranking: { method: 'mean-position', metrics: RANKING, bootstrapSamples: 200 },
        entries: 'all',
        perSeriesVisibility: 'organisers',
      })
      expect(res.status, await res.clone().text()).toBe(201)
      expect(((await res.json()) as { ranking: unknown }).ranking).toEqual({
        method: 'mean-position',
        metrics: RANKING,
        bootstrapSamples: 200,
        significanceLevel: 0.05,
      })
      phaseId = (await h.db.prisma.phase.findFirstOrThrow({ where: { slug: 'final' } })).id
      const bad = await call(organiser, 'PATCH', base, { ranking: { method: 'absolute', metrics: RANKING, bootstrapSamples: 5 } })
      expect(bad.status).toBe(400)
      expect(await get<Stability>(`${base}/leaderboard/stability`)).toEqual({
        challenge: 'spine',
        phase: 'final',
        version: 0,
        computedAt: null,
        samples: 0,
        seed: null,
        alpha: null,
        series: 0,
        kendallTau: null,
        entries: [],
        metrics: [],
        tiedForFirst: [],
      })
      const entries: TestEntry[] = []
      for (const folder of ['images', 'masks'])
        for (const f of await readdir(join(synthDir, folder)))
          entries.push({ name: `${folder}/${f}`, data: await readFile(join(synthDir, folder, f)) })
      const archive = join(h.dataDir, 'testset.zip')
      await writeZip(archive, entries)
      const form = new FormData()
      form.append('archive', await openAsBlob(archive), 'testset.zip')
      expect(
        (await fetch(`${h.url}${base}/test-set`, { method: 'PUT', headers: { authorization: `Bearer ${organiser}` }, body: form })).status,
      ).toBe(200)
    })

    it('stores the figures with every snapshot; rows and route serve them; the CLI reproduces them', async () => {
      await submit('alice', 'good')
      await submit('bob', 'bad')
      await waitSnapshot(2)
      await new Promise((r) => setTimeout(r, 50))
      between = new Date().toISOString()
      await new Promise((r) => setTimeout(r, 50))
      await submit('carol', 'ok')
      await waitSnapshot(3)

      const stability = await get<Stability>(`${base}/leaderboard/stability`)
      const board = await get<Board>(`${base}/leaderboard`)
      expect([stability.version, board.version]).toEqual([3, 3])
      const series = docs.get('good')?.series.length as number
      expect(series).toBeGreaterThanOrEqual(8)
      expect(stability).toMatchObject({ samples: 200, seed: stabilitySeed(phaseId, 3), alpha: 0.05, series })
      // Rows and columns follow the board.
      const order = board.rows.map((r) => r.submissionId)
      expect(stability.entries.map((e) => e.submissionId)).toEqual(order)
      expect(stability.metrics.map((m) => [m.key, m.order])).toEqual(RANKING.map((c) => [c.key, c.order]))
      for (const m of stability.metrics) {
        expect(m.entries).toEqual(order)
        expect(m.pValues.map((row, i) => row[i])).toEqual([null, null, null])
        expect(m.significant).toEqual(m.adjusted.map((row) => row.map((p) => p !== null && p < 0.05)))
      }
      // Each row's uncertainty is its entry's figures.
      for (const [i, row] of board.rows.entries()) {
        const { medianRank, rankInterval, pFirst } = stability.entries[i]
        expect(row.uncertainty).toEqual({ medianRank, rankInterval, pFirst })
      }
      // On these series the one-voxel shift (carol) beats the one-voxel dilation (alice) on the
      // vertebrae, and both beat the dropped discs shifted by two (bob) on every series: bob
      // ranks last in every sample, and the tests single out carol as the only leader.
      const [carol, alice, bob] = ['carol', 'alice', 'bob'].map((w) => order.indexOf(subs[w].submissionId))
      expect([carol, alice, bob].map((i) => board.rows[i].rank)).toEqual([1, 2, 3])
      expect(board.rows[bob].uncertainty).toEqual({ medianRank: 3, rankInterval: [3, 3], pFirst: 0 })
      expect(stability.metrics[0].pValues[alice][bob]).toBeLessThan(0.01)
      expect(stability.metrics[0].pValues[bob][alice]).toBeGreaterThan(0.99)
      expect(stability.entries[alice].beats).toEqual([subs.bob.submissionId])
      expect(stability.entries[carol].beats).toEqual([subs.alice.submissionId, subs.bob.submissionId])
      expect(stability.tiedForFirst).toEqual([subs.carol.submissionId])
      expect(stability.kendallTau?.median).toBeGreaterThan(0)
      // `spider-bench rank` on the same score documents, with the snapshot's seed: the same figures.
      const offline = await cliFigures(['alice', 'bob', 'carol'], stability.seed as number, 200)
      const {
        version: _v,
        computedAt: _c,
        challenge: _ch,
        phase: _p,
        ...served
      } = stability as Stability & { challenge: string; phase: string }
      expect(offline).toEqual(served)
    })

    it('?at= returns the figures of the snapshot in force then, for the row uncertainty too', async () => {
      const then = await get<Stability>(`${base}/leaderboard/stability?at=${encodeURIComponent(between)}`)
      expect([then.version, then.samples, then.seed, then.entries.length]).toEqual([2, 200, stabilitySeed(phaseId, 2), 2])
      // Then alice led, better than bob on every series of both Dice metrics: first in every sample.
      expect(then.entries[0]).toEqual({
        submissionId: subs.alice.submissionId,
        medianRank: 1,
        rankInterval: [1, 1],
        pFirst: 1,
        beats: [subs.bob.submissionId],
      })
      expect(then.tiedForFirst).toEqual([subs.alice.submissionId])
      const offline = await cliFigures(['alice', 'bob'], stabilitySeed(phaseId, 2), 200)
      const { version: _v, computedAt: _c, challenge: _ch, phase: _p, ...served } = then as Stability & { challenge: string; phase: string }
      expect(served).toEqual(offline)
      const now = await get<Stability>(`${base}/leaderboard/stability`)
      expect(now.entries).not.toEqual(then.entries)
      const board = await get<Board>(`${base}/leaderboard?at=${encodeURIComponent(between)}`)
      expect(board.version).toBe(2)
      expect(board.rows.map((r) => r.uncertainty)).toEqual(
        then.entries.map(({ medianRank, rankInterval, pFirst }) => ({ medianRank, rankInterval, pFirst })),
      )
      expect((await get<Stability>(`${base}/leaderboard/stability?at=2000-01-01T00:00:00Z`)).version).toBe(0)
      const bad = await call(null, 'GET', `${base}/leaderboard/stability?at=yesterday`)
      expect(bad.status).toBe(400)
      expect(((await bad.json()) as { error: { message: string } }).error.message).toBe('at is not a valid ISO date-time: "yesterday"')
      expect((await call(null, 'GET', '/api/v1/challenges/spine/phases/nope/leaderboard/stability')).status).toBe(404)
    })

    it('serves what the snapshot stored (the read path computes nothing); a settings change makes new figures', async () => {
      // A setting changed behind the API's back makes no new figures: reads only serve snapshots.
      await h.db.prisma.phase.update({ where: { id: phaseId }, data: { bootstrapSamples: 150 } })
      expect((await get<Stability>(`${base}/leaderboard/stability`)).samples).toBe(200)
      const res = await call(organiser, 'PATCH', base, {
        ranking: { method: 'median-position', metrics: RANKING, bootstrapSamples: 300, significanceLevel: 0.1 },
      })
      expect(res.status, await res.clone().text()).toBe(200)
      await waitSnapshot(4) // a worker stores it after the PATCH has answered
      const now = await get<Stability>(`${base}/leaderboard/stability`)
      expect([now.version, now.samples, now.alpha, now.seed]).toEqual([4, 300, 0.1, stabilitySeed(phaseId, 4)])
      const snapshot = await h.db.prisma.leaderboardSnapshot.findFirstOrThrow({ where: { phaseId, version: 4 } })
      expect(snapshot.settings).toMatchObject({ method: 'median-position', bootstrapSamples: 300, significanceLevel: 0.1 })
      expect((await get<Stability>(`${base}/leaderboard/stability?at=${encodeURIComponent(between)}`)).samples).toBe(200)
      // Omitted from an update: unchanged.
      expect((await call(organiser, 'PATCH', base, { ranking: { method: 'mean-position', metrics: RANKING } })).status).toBe(200)
      await waitSnapshot(5)
      expect((await get<Stability>(`${base}/leaderboard/stability`)).samples).toBe(300)
    })
  })
}
