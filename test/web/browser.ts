/**
 * Browser-test helpers: Debian's Chromium driven by playwright-core (no browser download),
 * axe-core injected from npm, screenshots for review under bench-out/screenshots.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { chromium, type BrowserContext, type Page } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'
export const REPO = fileURLToPath(new URL('../..', import.meta.url))
export const SCREENSHOTS = join(REPO, 'bench-out', 'screenshots')

/** The built pages; built here when missing (a checkout where `npm ci` has not run the postinstall). */
export async function ensureWebBuilt(): Promise<void> {
  if (existsSync(join(REPO, 'apps/web/dist/index.html'))) return
  await promisify(execFile)(process.execPath, [join(REPO, 'apps/web/build.mjs')], { cwd: REPO })
}

export interface Browser {
  readonly context: BrowserContext
  /** Uncaught exceptions and console errors of every page opened so far (a CSP refusal is one). */
  readonly errors: string[]
  page(): Promise<Page>
  close(): Promise<void>
}

/** A fresh headless Chromium with its own profile folder (removed on close). */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install it with "apt-get install -y chromium" (.ci/run does)`)
  const profile = await mkdtemp(join(tmpdir(), 'spider-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
    viewport: { width: 1280, height: 900 },
  })
  const errors: string[] = []
  return {
    context,
    errors,
    async page() {
      const page = await context.newPage()
      page.setDefaultTimeout(30_000)
      page.on('pageerror', (err) => errors.push(`${page.url()}: uncaught ${err.message}`))
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(`${page.url()}: console: ${m.text()}`)
      })
      return page
    },
    async close() {
      await context.close()
      await rm(profile, { recursive: true, force: true })
    },
  }
}

const require = createRequire(import.meta.url)
let axeSource: string | null = null

export interface AxeViolation {
  id: string
  impact: string | null
  help: string
  nodes: Array<{ target: unknown[]; failureSummary?: string }>
}

/**
 * Serious and critical axe-core violations of the page as it is now. axe's source is
 * evaluated through the DevTools protocol, which the page's CSP does not govern (an inline
 * <script> would be refused, as it should be).
 */
export async function seriousViolations(page: Page): Promise<string[]> {
  axeSource ??= await readFile(require.resolve('axe-core/axe.min.js'), 'utf8')
  if (!(await page.evaluate('typeof window.axe !== "undefined"'))) await page.evaluate(axeSource)
  const violations = (await page.evaluate(
    'window.axe.run(document, { resultTypes: ["violations"] }).then((r) => r.violations)',
  )) as AxeViolation[]
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`)
}

/**
 * Screenshots of the page at 1280 and 390 px wide for review, and the widths from 360 to
 * 1920 px at which the page scrolls sideways (a layout that breaks: content wider than the
 * window; wide tables scroll inside their own region instead).
 */
export async function screenshots(page: Page, name: string, widths: number[] = [1280, 390]): Promise<string[]> {
  await mkdir(SCREENSHOTS, { recursive: true })
  const overflowing: string[] = []
  for (const width of [360, 1920, ...widths]) {
    await page.setViewportSize({ width, height: 900 })
    const scrollWidth = (await page.evaluate('document.documentElement.scrollWidth')) as number
    if (scrollWidth > width) overflowing.push(`${name} at ${width} px: page is ${scrollWidth} px wide`)
    if (widths.includes(width)) await page.screenshot({ path: join(SCREENSHOTS, `${name}-${width}.png`), fullPage: true })
  }
  await page.setViewportSize({ width: 1280, height: 900 })
  return overflowing
}
