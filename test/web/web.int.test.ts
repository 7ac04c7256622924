/**
 * The web pages in a real browser (Debian's Chromium through playwright-core) against a real
 * server: API + scoring workers in-process, Postgres, Redis, synthetic MRI series. Covers the
 * public path to a leaderboard equal to the REST one, a participant's sign-in, upload, live
 * progress and new row, an invalid archive with every problem listed, an organiser's phase
 * and test-set upload, axe-core on every page, CSP and escaping. Screenshots of every page at
 * 1280 and 390 px go to bench-out/screenshots.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { synthesize } from '@spider-bench/synth'
import { startWorkers, type RunningWorkers } from '@spider-bench/worker'
import { startHarness, type Harness } from '../../apps/api/src/testing/harness.ts'
import { writeZip, type TestEntry } from '../../apps/api/src/testing/archives.ts'
import { ensureWebBuilt, launchBrowser, screenshots, seriousViolations, type Browser } from './browser.ts'

interface BoardRow {
  rank: number
  participant: string
  submissionId: string
  metrics: Record<string, number | null>
}

const DESCRIPTION = [
  '# About Spine',
  '',
  'Segment **lumbar** vertebrae, discs and the spinal canal.',
  '',
  '<script>window.__pwned = 1</script>',
  '<img src="x" onerror="window.__pwned = 2">',
  '',
  '[a link](javascript:window.__pwned=3), <a href="https://example.org" onclick="window.__pwned=4">another</a> ' +
    'and [the data](https://example.org/data).',
].join('\n')

describe('web pages in Chromium', () => {
  let h: Harness
  let workers: RunningWorkers
  let browser: Browser
  let synthDir: string
  const tokens: Record<string, string> = {}
  const base = '/api/v1/challenges/spine/phases/final'
  const problems: string[] = []
  let seriesCount = 0

  const call = async (token: string | null, method: string, path: string, body?: unknown) =>
    fetch(`${h.url}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    })
  const restBoard = async () => (await (await call(null, 'GET', `${base}/leaderboard`)).json()) as { version: number; rows: BoardRow[] }

  async function zipOf(name: string, entries: TestEntry[]): Promise<string> {
    const file = join(h.dataDir, name)
    await writeZip(file, entries)
    return file
  }
  async function folderEntries(folder: string, prefix: string): Promise<TestEntry[]> {
    const out: TestEntry[] = []
    for (const f of (await readdir(join(synthDir, folder))).sort())
      out.push({ name: `${prefix}${f}`, data: await readFile(join(synthDir, folder, f)) })
    return out
  }
  async function testSetZip(name: string) {
    return zipOf(name, [...(await folderEntries('images', 'images/')), ...(await folderEntries('masks', 'masks/'))])
  }
  async function waitBoardVersion(version: number) {
    for (let i = 0; i < 300; i++) {
      const b = await restBoard()
      if (b.version >= version) return b
      await new Promise((r) => setTimeout(r, 500))
    }
    throw new Error(`leaderboard never reached version ${version}`)
  }
  /** The rows the page shows: rank, participant, submission and each metric's raw value. */
  async function pageRows(page: Page): Promise<BoardRow[]> {
    await page.locator('[data-testid=leaderboard] tbody tr').first().waitFor()
    return (await page.evaluate(`[...document.querySelectorAll('[data-testid=leaderboard] tbody tr')].map((tr) => ({
      rank: Number(tr.cells[0].textContent),
      participant: tr.cells[1].textContent,
      submissionId: tr.dataset.submission,
      metrics: Object.fromEntries(
        [...tr.querySelectorAll('td[data-metric]')].map((td) => [
          td.dataset.metric,
          td.dataset.value === '' ? null : Number(td.dataset.value),
        ]),
      ),
    }))`)) as BoardRow[]
  }
  /** axe-core and the layout checks of the page as shown, plus its screenshots. */
  async function review(page: Page, name: string) {
    problems.push(...(await seriousViolations(page)).map((v) => `${name}: ${v}`))
    problems.push(...(await screenshots(page, name)))
  }
  async function signIn(page: Page, who: string) {
    await browser.context.clearCookies()
    await page.goto(`${h.url}/signin`)
    await page.getByLabel('API token').fill(tokens[who])
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByText(`Signed in as ${who}`).waitFor()
  }

  beforeAll(async () => {
    await ensureWebBuilt()
    h = await startHarness('postgres')
    synthDir = join(h.dataDir, 'synth')
    await synthesize({ out: synthDir, studies: 2, seed: 5, size: 'small', predictions: { good: 'dilate:1', ok: 'shift:1' } })
    seriesCount = (await readdir(join(synthDir, 'images'))).length
    workers = await startWorkers({
      prisma: h.db.prisma,
      storage: h.storage,
      redisUrl: h.config.redisUrl,
      queuePrefix: h.config.queuePrefix,
      config: { concurrency: 2, reconcileIntervalMs: 3_600_000, reconcileGraceMs: 3_600_000 },
    })
    tokens.org = (await h.user('org', 'organiser')).token
    tokens.alice = (await h.user('alice', 'participant')).token
    tokens.bob = (await h.user('bob', 'participant')).token
    expect(
      (await call(tokens.org, 'POST', '/api/v1/challenges', { slug: 'spine', title: 'Lumbar Spine', description: DESCRIPTION })).status,
    ).toBe(201)
    const phase = await call(tokens.org, 'POST', '/api/v1/challenges/spine/phases', {
      slug: 'final',
      title: 'Final phase',
      scoringProfile: 'spider',
      submissionKinds: ['predictions'],
      ranking: {
        method: 'mean-position',
        metrics: [
          { key: 'DiceVertebrae', order: 'desc' },
          { key: 'ASDVertebrae', order: 'asc' },
        ],
      },
      entries: 'best',
      submissionLimit: { count: 5, periodHours: 24 },
      perSeriesVisibility: 'owner',
    })
    expect(phase.status).toBe(201)
    const form = new FormData()
    form.append('archive', new Blob([await readFile(await testSetZip('testset.zip'))]), 'testset.zip')
    expect(
      (await fetch(`${h.url}${base}/test-set`, { method: 'PUT', headers: { authorization: `Bearer ${tokens.org}` }, body: form })).status,
    ).toBe(200)
    // Bob is on the board before the browser arrives.
    const sub = new FormData()
    sub.append('kind', 'predictions')
    sub.append(
      'predictions',
      new Blob([await readFile(await zipOf('bob.zip', await folderEntries('predictions/ok', 'preds/')))]),
      'bob.zip',
    )
    expect(
      (await fetch(`${h.url}${base}/submissions`, { method: 'POST', headers: { authorization: `Bearer ${tokens.bob}` }, body: sub }))
        .status,
    ).toBe(202)
    await waitBoardVersion(1)
    browser = await launchBrowser()
  })

  afterAll(async () => {
    await browser?.close()
    await workers?.close()
    await h?.close()
  })

  it('serves every page with a CSP that allows no inline script, and renders user text inert', async () => {
    for (const path of ['/', '/challenges/spine', '/challenges/spine/phases/final', '/signin', '/organise']) {
      const res = await fetch(`${h.url}${path}`)
      expect(res.status).toBe(200)
      const csp = res.headers.get('content-security-policy') ?? ''
      expect(csp).toMatch(/(^|; )script-src 'self'(;|$)/)
      expect(csp).not.toContain('unsafe-inline')
      expect(csp).not.toContain('unsafe-eval')
      expect(res.headers.get('x-frame-options')).toBe('DENY')
    }
    const page = await browser.page()
    await page.goto(`${h.url}/challenges/spine`)
    await page.getByRole('heading', { name: 'About Spine' }).waitFor()
    expect(await page.evaluate('window.__pwned')).toBeUndefined()
    expect(await page.locator('.prose script, .prose img, .prose [onerror], .prose [onclick], .prose a[href^="javascript"]').count()).toBe(
      0,
    )
    // Raw HTML is shown as the text it is; Markdown links keep safe URLs only.
    await page.locator('.prose').getByText('<script>window.__pwned = 1</script>').waitFor()
    expect(await page.getByRole('link', { name: 'the data' }).getAttribute('href')).toBe('https://example.org/data')
    expect(await page.getByRole('link', { name: 'the data' }).getAttribute('rel')).toBe('noopener noreferrer nofollow')
    await page.close()
  })

  it('lets the public browse from / to a leaderboard whose rows equal the REST leaderboard', async () => {
    const page = await browser.page()
    await page.goto(`${h.url}/`)
    // Keyboard first: the first Tab reaches the skip link.
    await page.keyboard.press('Tab')
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Skip to content')
    await page.getByRole('link', { name: 'Lumbar Spine' }).waitFor()
    await review(page, 'home')
    await page.getByRole('link', { name: 'Lumbar Spine' }).click()
    await page.getByRole('heading', { name: 'Phases' }).waitFor()
    await page
      .getByRole('rowheader', { name: /Dice, vertebrae/ })
      .first()
      .waitFor()
    await review(page, 'challenge')
    await page.getByRole('link', { name: 'Leaderboard' }).click()
    const rows = await pageRows(page)
    const rest = await restBoard()
    expect(rows).toEqual(
      rest.rows.map((r) => ({ rank: r.rank, participant: r.participant, submissionId: r.submissionId, metrics: r.metrics })),
    )
    // Columns sort by keyboard; the order is announced with aria-sort.
    const sortButton = page.getByRole('button', { name: /^Participant/ })
    await sortButton.focus()
    await page.keyboard.press('Enter')
    expect(await page.locator('th[aria-sort=ascending]').textContent()).toMatch(/^Participant/)
    // The download holds what is shown.
    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()])
    const text = await readFile((await csv.path()) as string, 'utf8')
    expect(text.trim().split('\r\n')).toHaveLength(rest.rows.length + 1)
    await review(page, 'leaderboard')
    // Per sequence, and as of a time before the first snapshot.
    await page.getByRole('link', { name: 'T2', exact: true }).click()
    await page.getByText('Ranked among the same entries by their T2 series only.').waitFor()
    expect((await pageRows(page)).map((r) => r.participant)).toEqual(['bob'])
    await page.goto(`${h.url}/challenges/spine/phases/final?at=2000-01-01T00:00:00.000Z`)
    await page.getByText('No entry at that time.').waitFor()
    await page.close()
  })

  it('signs a participant in, uploads a predictions archive through the page, shows the live evaluation and the new row', async () => {
    const page = await browser.page()
    const streams: string[] = []
    page.on('request', (r) => {
      if (r.url().endsWith('/events')) streams.push(r.url())
    })
    await page.goto(`${h.url}/signin`)
    await review(page, 'signin')
    await signIn(page, 'alice')
    const cookie = (await browser.context.cookies()).find((c) => c.name === 'spider_session')
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' })
    expect(cookie?.value).not.toContain(tokens.alice)
    await page.goto(`${h.url}/challenges/spine/phases/final/submit`)
    await page.getByTestId('quota').getByText('5 of 5 submissions left', { exact: false }).waitFor()
    await review(page, 'submit')
    await page.setInputFiles('#predictions', await zipOf('alice.zip', await folderEntries('predictions/good', 'preds/')))
    await page.getByRole('button', { name: 'Submit' }).click()
    await page.waitForURL(/\/submissions\/[0-9a-f-]{36}$/)
    const id = page.url().split('/').at(-1) as string
    await page.getByTestId('status').getByText('succeeded').waitFor({ timeout: 150_000 })
    expect(streams).toEqual([`${h.url}/api/v1/submissions/${id}/events`])
    await page
      .getByTestId('series')
      .locator('tbody tr')
      .nth(seriesCount - 1)
      .waitFor()
    await page.getByTestId('scores').waitFor()
    await review(page, 'submission')
    const rest = await waitBoardVersion(2)
    expect(rest.rows.map((r) => r.participant).sort()).toEqual(['alice', 'bob'])
    await page.getByRole('link', { name: 'Leaderboard' }).click()
    const rows = await pageRows(page)
    expect(rows).toEqual(
      rest.rows.map((r) => ({ rank: r.rank, participant: r.participant, submissionId: r.submissionId, metrics: r.metrics })),
    )
    expect(rows.find((r) => r.participant === 'alice')?.submissionId).toBe(id)
    await page.goto(`${h.url}/account`)
    await page.getByTestId('my-submissions').getByText('succeeded').waitFor()
    await review(page, 'account')
    await page.close()
  })

  it('lists every problem of an invalid archive, dropped on the page, as the API gives them, and charges no quota', async () => {
    const good = await folderEntries('predictions/good', '')
    const bad = await zipOf('bad.zip', [
      { name: 'nope.mha', data: good[0].data },
      { name: 'notes.txt', data: 'not an image' },
      ...good.slice(2),
    ])
    const quota = async () => ((await (await call(tokens.alice, 'GET', `${base}/quota`)).json()) as { used: number }).used
    const usedBefore = await quota()
    // What the API says about this archive (bob's token; refusals are not counted).
    const form = new FormData()
    form.append('kind', 'predictions')
    form.append('predictions', new Blob([await readFile(bad)]), 'bad.zip')
    const res = await fetch(`${h.url}${base}/submissions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.bob}` },
      body: form,
    })
    expect(res.status).toBe(422)
    const expected = ((await res.json()) as { error: { details: { problems: string[] } } }).error.details.problems
    expect(expected.length).toBeGreaterThanOrEqual(4)

    const page = await browser.page()
    await page.goto(`${h.url}/challenges/spine/phases/final/submit`)
    await page.getByTestId('quota').waitFor()
    // Dropped on the drop zone, as a file dragged from the desktop.
    const bytes = (await readFile(bad)).toString('base64')
    const transfer = await page.evaluateHandle(
      '(() => { const t = new DataTransfer(); ' +
        `t.items.add(new File([Uint8Array.from(atob(${JSON.stringify(bytes)}), (c) => c.charCodeAt(0))], ` +
        `'bad.zip', { type: 'application/zip' })); return t })()`,
    )
    await page.getByTestId('drop-predictions').dispatchEvent('drop', { dataTransfer: transfer })
    await page.getByText('bad.zip', { exact: false }).waitFor()
    await page.getByRole('button', { name: 'Submit' }).click()
    const list = page.locator('.problems li')
    await list.first().waitFor()
    expect(await list.allTextContents()).toEqual(expected)
    await review(page, 'submit-invalid')
    expect(await quota()).toBe(usedBefore)
    await page.close()
  })

  it('lets an organiser create a phase (errors next to the fields) and upload its test set with progress', async () => {
    const page = await browser.page()
    await signIn(page, 'org')
    await page.goto(`${h.url}/organise`)
    await page.getByRole('link', { name: 'Lumbar Spine' }).waitFor()
    await review(page, 'organise')
    await page.getByRole('link', { name: 'Lumbar Spine' }).click()
    await page.getByRole('heading', { name: 'New phase' }).waitFor()
    await page.locator('#n-slug').fill('Bad Slug')
    await page.locator('#n-title').fill('Second phase')
    await page.getByRole('button', { name: 'Create phase' }).click()
    const slugError = page.locator('#n-slug-error')
    await slugError.waitFor()
    expect(await slugError.textContent()).toMatch(/slug/)
    expect(await page.locator('#n-slug').getAttribute('aria-invalid')).toBe('true')
    await review(page, 'organise-challenge')
    await page.locator('#n-slug').fill('second')
    await page.getByRole('button', { name: 'Create phase' }).click()
    await page.waitForURL(/\/organise\/challenges\/spine\/phases\/second$/)
    await page.setInputFiles('#test-set', await testSetZip('testset-2.zip'))
    await page.getByRole('button', { name: 'Upload hidden test set' }).click()
    await page.getByTestId('test-set-result').getByText(`Version 1: ${seriesCount} series.`).waitFor()
    await review(page, 'organise-phase')
    const challenge = (await (await call(null, 'GET', '/api/v1/challenges/spine')).json()) as {
      phases: Array<{ slug: string; title: string; testSet: { version: number; count: number } | null }>
    }
    expect(challenge.phases.find((p) => p.slug === 'second')).toMatchObject({
      title: 'Second phase',
      testSet: { version: 1, count: seriesCount },
    })
    // The organiser sees every submission of the first phase, with its evaluation log.
    await page.goto(`${h.url}/organise/challenges/spine/phases/final`)
    await page.getByTestId('all-submissions').locator('tbody tr').nth(1).waitFor()
    await page.getByTestId('all-submissions').locator('tbody tr a').first().click()
    await page.getByTestId('evaluation-log').waitFor()
    await page.close()
  })

  it('finds no serious axe-core violation, no page wider than the window and no script error on any page', () => {
    expect(problems).toEqual([])
    // Expected refusals are answered by the API (422 for the invalid archive, 400 for the bad
    // slug); the browser logs those failed requests as errors.
    expect(browser.errors.filter((e) => !/Failed to load resource: the server responded with a status of (422|400)/.test(e))).toEqual([])
  })
})
