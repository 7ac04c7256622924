/**
 * End to end: API (test-set import, leaderboard, events, results, re-evaluation, settings)
 * with the evaluation worker in-process, on Postgres and PGlite, against real Redis. Every
 * leaderboard value must equal what `spider-bench score` (scoreDirectories) computes on the
 * same files.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { openAsBlob } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { rankLeaderboard, type Candidate } from '@spider-bench/leaderboard'
import { profileMetrics, scoreDirectories, type ResultDocument } from '@spider-bench/scoring'
import { synthesize } from '@spider-bench/synth'
import { startWorkers, type RunningWorkers } from '@spider-bench/worker'
import { startHarness, type Backend, type Harness } from '../apps/api/src/testing/harness.ts'
import { writeZip, type TestEntry } from '../apps/api/src/testing/archives.ts'

const PREDICTIONS = { good: 'dilate:1', ok: 'shift:1', bad: 'drop:disc,shift:2' } as const
type Pred = keyof typeof PREDICTIONS
const RANKING = [
  { key: 'DiceVertebrae', order: 'desc' },
  { key: 'DiceDiscs', order: 'desc' },
  { key: 'ASDVertebrae', order: 'asc' },
] as const

interface Board {
  version: number
  method: string
  entries: string
  computedAt: string | null
  columns: Array<{ key: string; order: string }>
  rows: Array<{
    rank: number
    participant: string
    submissionId: string
    createdAt: string
    rankScore: number | null
    metrics: Record<string, number | null>
    uncertainty: { medianRank: number; rankInterval: [number, number]; pFirst: number } | null
  }>
}

for (const backend of ['postgres', 'pglite'] as Backend[]) {
  describe(`evaluation and leaderboard end to end (${backend})`, () => {
    let h: Harness
    let workers: RunningWorkers
    let organiser: string
    const tokens: Record<string, { id: string; token: string }> = {}
    const docs = new Map<Pred, ResultDocument>()
    const subs: Record<string, { submissionId: string; evaluationId: string; pred: Pred; participant: string }> = {}
    let synthDir: string
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
    const board = async (query = ''): Promise<Board> => {
      const res = await call(null, 'GET', `${base}/leaderboard${query}`)
      expect(res.status).toBe(200)
      return (await res.json()) as Board
    }

    async function waitEvaluations(ids: string[], timeoutMs = 150_000) {
      const until = Date.now() + timeoutMs
      for (;;) {
        const rows = await h.db.prisma.evaluation.findMany({ where: { id: { in: ids } } })
        if (rows.length === ids.length && rows.every((r) => ['succeeded', 'failed'].includes(r.status))) return rows
        if (Date.now() > until) throw new Error(`not finished: ${rows.map((r) => `${r.id}=${r.status}`).join(', ')}`)
        await new Promise((r) => setTimeout(r, 200))
      }
    }

    /** Uploads `predictions/<pred>` as a participant through the submission route. */
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
        headers: { authorization: `Bearer ${tokens[who].token}` },
        body: form,
      })
      expect(res.status, await res.clone().text()).toBe(202)
      const { id } = (await res.json()) as { id: string }
      const evaluation = await h.db.prisma.evaluation.findFirstOrThrow({ where: { submissionId: id } })
      return { submissionId: id, evaluationId: evaluation.id, pred, participant: who }
    }

    beforeAll(async () => {
      h = await startHarness(backend)
      synthDir = join(h.dataDir, 'synth')
      await synthesize({ out: synthDir, studies: 2, seed: 3, size: 'small', predictions: { ...PREDICTIONS } })
      for (const pred of Object.keys(PREDICTIONS) as Pred[]) {
        docs.set(
          pred,
          (await scoreDirectories({ truthDir: join(synthDir, 'masks'), predDir: join(synthDir, 'predictions', pred), threads: 1 }))
            .document,
        )
      }
      organiser = (await h.user('org', 'organiser')).token
      for (const who of ['alice', 'bob', 'carol']) tokens[who] = await h.user(who, 'participant')
      workers = await startWorkers({
        prisma: h.db.prisma,
        storage: h.storage,
        redisUrl: h.config.redisUrl,
        queuePrefix: h.config.queuePrefix,
        config: { concurrency: 2, reconcileIntervalMs: 3_600_000, reconcileGraceMs: 3_600_000 },
      })
    })

    afterAll(async () => {
      await workers?.close()
      await h?.close()
    })

    it('imports a synthetic test set through the API', async () => {
      expect((await call(organiser, 'POST', '/api/v1/challenges', { slug: 'spine', title: 'Spine' })).status).toBe(201)
      const phase = await call(organiser, 'POST', '/api/v1/challenges/spine/phases', {
        slug: 'final',
        title: 'Final',
        scoringProfile: 'spider',
        submissionKinds: ['predictions'],
        ranking: { method: 'mean-position', metrics: RANKING },
        entries: 'best',
        perSeriesVisibility: 'owner',
      })
      expect(phase.status).toBe(201)
      const entries: TestEntry[] = []
      for (const folder of ['images', 'masks']) {
        for (const f of await readdir(join(synthDir, folder)))
          entries.push({ name: `${folder}/${f}`, data: await readFile(join(synthDir, folder, f)) })
      }
      const archive = join(h.dataDir, 'testset.zip')
      await writeZip(archive, entries)
      const form = new FormData()
      form.append('archive', await openAsBlob(archive), 'testset.zip')
      const res = await fetch(`${h.url}${base}/test-set`, { method: 'PUT', headers: { authorization: `Bearer ${organiser}` }, body: form })
      expect(res.status).toBe(200)
      expect(await res.json()).toMatchObject({ version: 1, count: docs.get('good')?.series.length })
      // No snapshot yet: an empty board under the phase's settings.
      expect(await board()).toMatchObject({ version: 0, computedAt: null, rows: [], method: 'mean-position', columns: RANKING })
    })

    it('streams progress as server-sent events until the evaluation ends', async () => {
      subs.alice = await submit('alice', 'good')
      const res = await fetch(`${h.url}/api/v1/submissions/${subs.alice.submissionId}/events`, {
        headers: { authorization: `Bearer ${tokens.alice.token}` },
      })
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/)
      const text = await res.text() // the server ends the stream after the `end` event
      const events = text
        .split('\n\n')
        .filter((b) => b.startsWith('event:'))
        .map((b) => ({ event: /^event: (\w+)/.exec(b)?.[1], data: JSON.parse(/\ndata: (.*)$/m.exec(b)?.[1] ?? 'null') }))
      const last = events.at(-1)
      const total = docs.get('good')?.series.length
      expect(last).toMatchObject({
        event: 'end',
        data: { status: 'succeeded', evaluationStatus: 'succeeded', progress: { done: total, total } },
      })
      const done = events.filter((e) => e.event === 'progress').map((e) => e.data.progress.done as number)
      expect(done).toEqual([...done].sort((a, b) => a - b))
      // Others may not watch it.
      expect(
        (
          await fetch(`${h.url}/api/v1/submissions/${subs.alice.submissionId}/events`, {
            headers: { authorization: `Bearer ${tokens.bob.token}` },
          })
        ).status,
      ).toBe(403)
    })

    it('ranks several participants; every leaderboard value equals spider-bench score on the same files', async () => {
      subs.bob1 = await submit('bob', 'bad')
      subs.carol = await submit('carol', 'ok')
      // One active submission per participant: bob's second waits for his first.
      await waitEvaluations([subs.bob1.evaluationId])
      subs.bob2 = await submit('bob', 'ok')
      const rows = await waitEvaluations(Object.values(subs).map((s) => s.evaluationId))
      expect(rows.every((r) => r.status === 'succeeded')).toBe(true)
      // The snapshot follows its evaluation; wait for the one of the last to finish.
      let b = await board()
      for (let i = 0; b.version < 4 && i < 100; i++) {
        await new Promise((r) => setTimeout(r, 1100)) // past the route's one-second cache
        b = await board()
      }
      expect(b.version).toBe(4)
      const keys = profileMetrics('spider').map((s) => s.key)
      const candidates: Candidate[] = Object.values(subs).map((s) => ({
        submissionId: s.submissionId,
        participant: s.participant,
        createdAt: '', // filled in below from the stored submission
        metrics: Object.fromEntries(keys.map((k) => [k, docs.get(s.pred)?.aggregates[k].mean ?? null])),
      }))
      for (const c of candidates) {
        const sub = await h.db.prisma.submission.findUniqueOrThrow({ where: { id: c.submissionId } })
        Object.assign(c, { createdAt: sub.createdAt.toISOString() })
      }
      const expected = rankLeaderboard(candidates, { method: 'mean-position', entries: 'best', columns: RANKING })
      // Each row also carries its bootstrap rank uncertainty (test/leaderboard-stability.int.test.ts).
      expect(b.rows.map(({ uncertainty: _, ...row }) => row)).toEqual(expected)
      expect(
        b.rows.every(
          (r) =>
            r.uncertainty !== null &&
            r.uncertainty.rankInterval[0] <= r.uncertainty.rankInterval[1] &&
            r.uncertainty.pFirst >= 0 &&
            r.uncertainty.pFirst <= 1,
        ),
      ).toBe(true)
      expect(b.rows.map((r) => r.participant).sort()).toEqual(['alice', 'bob', 'carol'])
      for (const row of b.rows) {
        const s = Object.values(subs).find((x) => x.submissionId === row.submissionId)
        expect(Object.keys(row.metrics)).toEqual(keys)
        for (const k of keys) expect(row.metrics[k]).toBe(docs.get(s?.pred as Pred)?.aggregates[k].mean)
      }
      // The submission shows the aggregates; the score of every series is visible to its owner.
      const own = (await (await call(tokens.alice.token, 'GET', `/api/v1/submissions/${subs.alice.submissionId}`)).json()) as {
        status: string
        aggregates: unknown
        progress: unknown
      }
      const total = docs.get('good')?.series.length
      expect(own).toMatchObject({ status: 'succeeded', progress: { done: total, total } })
      expect(own.aggregates).toEqual(JSON.parse(JSON.stringify(docs.get('good')?.aggregates)))
      const res = await call(tokens.alice.token, 'GET', `/api/v1/submissions/${subs.alice.submissionId}/series`)
      expect(res.status).toBe(200)
      const results = (await res.json()) as { series: Array<{ name: string; metrics: unknown }> }
      expect(results.series.map((s) => s.name)).toEqual(docs.get('good')?.series.map((s) => s.name))
      expect(results.series.map((s) => s.metrics)).toEqual(JSON.parse(JSON.stringify(docs.get('good')?.series.map((s) => s.metrics))))
      expect((await call(tokens.bob.token, 'GET', `/api/v1/submissions/${subs.alice.submissionId}/series`)).status).toBe(403)
    })

    it('hides per-series results from participants when the phase says so', async () => {
      expect((await call(organiser, 'PATCH', base, { perSeriesVisibility: 'organisers' })).status).toBe(200)
      expect((await call(tokens.alice.token, 'GET', `/api/v1/submissions/${subs.alice.submissionId}/series`)).status).toBe(403)
      const org = (await (await call(organiser, 'GET', `/api/v1/submissions/${subs.alice.submissionId}/series`)).json()) as {
        series: unknown[]
      }
      expect(org.series).toHaveLength(docs.get('good')?.series.length as number)
    })

    it('recomputes after a change of ranking settings; ?at= returns the snapshot in force then', async () => {
      const before = await board()
      await new Promise((r) => setTimeout(r, 50))
      const between = new Date().toISOString()
      await new Promise((r) => setTimeout(r, 50))
      const res = await call(organiser, 'PATCH', base, {
        ranking: { method: 'absolute', metrics: [{ key: 'ASDVertebrae', order: 'asc' }] },
        entries: 'all',
      })
      expect(res.status).toBe(200)
      // A worker stores the new snapshot after the PATCH has answered; the board follows its announcement.
      let after = await board()
      for (const until = Date.now() + 60_000; after.version === before.version && Date.now() < until; after = await board())
        await new Promise((r) => setTimeout(r, 100))
      expect(after.version).toBe(before.version + 1)
      expect([after.method, after.entries, after.rows.length, after.columns]).toEqual([
        'absolute',
        'all',
        4,
        [{ key: 'ASDVertebrae', order: 'asc' }],
      ])
      expect(after.rows[0].rankScore).toBe(Math.min(...after.rows.map((r) => r.metrics.ASDVertebrae as number)))
      const then = await board(`?at=${encodeURIComponent(between)}`)
      expect([then.version, then.method]).toEqual([before.version, 'mean-position'])
      expect((await board('?at=2000-01-01T00:00:00Z')).version).toBe(0)
      const bad = await call(null, 'GET', `${base}/leaderboard?at=yesterday`)
      expect(bad.status).toBe(400)
      expect(((await bad.json()) as { error: { message: string } }).error.message).toBe('at is not a valid ISO date-time: "yesterday"')
    })

    it('re-evaluates a submission and a whole phase for organisers only; the board uses the newest evaluation', async () => {
      const cachedBefore = await board() // cached now; the route keeps a board up to 10 s
      const latestVersion = async () =>
        (await h.db.prisma.leaderboardSnapshot.findFirst({ where: { phase: { slug: 'final' } }, orderBy: { version: 'desc' } }))?.version ??
        0
      const startVersion = await latestVersion()
      expect((await call(tokens.alice.token, 'POST', `/api/v1/submissions/${subs.alice.submissionId}/reevaluate`)).status).toBe(403)
      const one = await call(organiser, 'POST', `/api/v1/submissions/${subs.alice.submissionId}/reevaluate`)
      expect(one.status).toBe(202)
      const created = ((await one.json()) as { created: Array<{ evaluationId: string }> }).created
      expect(created).toHaveLength(1)
      const all = await call(organiser, 'POST', `${base}/reevaluate`)
      expect(all.status).toBe(202)
      const phaseRun = (await all.json()) as { created: Array<{ evaluationId: string }>; skipped: Array<{ submissionId: string }> }
      // alice's new evaluation may still be queued or running: skipped, not duplicated.
      expect(phaseRun.created.length + phaseRun.skipped.length).toBe(4)
      const ids = [...created, ...phaseRun.created].map((c) => c.evaluationId)
      const rows = await waitEvaluations(ids)
      expect(rows.every((r) => r.status === 'succeeded')).toBe(true)
      // An evaluation is marked succeeded before its finalize job recomputes the board: wait
      // for one new snapshot per evaluation.
      for (let i = 0; (await latestVersion()) < startVersion + ids.length && i < 300; i++) await new Promise((r) => setTimeout(r, 100))
      const snap = await h.db.prisma.leaderboardSnapshot.findFirstOrThrow({
        where: { phase: { slug: 'final' } },
        orderBy: { version: 'desc' },
      })
      // The worker announces each snapshot on Redis: the route drops its cache at once.
      expect(cachedBefore.version).toBeLessThan(snap.version)
      const deadline = Date.now() + 3000
      let served = cachedBefore
      while (served.version < snap.version && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50))
        served = await board()
      }
      expect(served.version).toBe(snap.version)
      const boardRows = snap.rows as unknown as Board['rows']
      for (const row of boardRows) {
        const s = Object.values(subs).find((x) => x.submissionId === row.submissionId)
        expect(row.metrics.ASDVertebrae).toBe(docs.get(s?.pred as Pred)?.aggregates.ASDVertebrae.mean)
      }
      expect(await h.db.prisma.evaluation.count({ where: { submissionId: subs.alice.submissionId } })).toBe(
        phaseRun.skipped.length > 0 ? 2 : 3,
      )
    })
  })
}
