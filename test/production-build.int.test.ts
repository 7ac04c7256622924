/**
 * The production build (scripts/build.mjs, `npm run build`): compiled here, so that no stale
 * dist/ is ever tested, then the single-machine story of test/single-machine.ts (the one
 * test/serve.int.test.ts runs on the sources) on the compiled code: SPIDER_BENCH_RUNTIME=build.
 * Every process of the story runs under a module audit (test/module-audit: an --import preload
 * that logs each ES module loaded by the process and by each of its worker threads), and the
 * model processes' command lines are read from /proc while they run: no tsx, no .ts file,
 * anywhere. The same audit of a `source` process sees tsx, so it can fail.
 */
import { spawnSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cachedExampleAlgorithm, modelProcessesOf } from '@spider-bench/inference/testing'
import { buildState } from '../bin/build-state.js'
import { ROOT, runCliToEnd, singleMachineStory, type CliProcess } from './single-machine.ts'

const PRELOAD = pathToFileURL(join(ROOT, 'test/module-audit/preload.mjs')).href

/** The environment of an audited process writing its log to `file`. */
const audited = (env: NodeJS.ProcessEnv, file: string): NodeJS.ProcessEnv => ({
  ...env,
  MODULE_AUDIT_FILE: file,
  NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} --import=${PRELOAD}`.trim(),
})

/** The audit log: [thread id, module URL] per loaded module. */
async function loaded(file: string): Promise<Array<[number, string]>> {
  const text = await readFile(file, 'utf8')
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const space = line.indexOf(' ')
      return [Number(line.slice(0, space)), line.slice(space + 1)]
    })
}

const fromTsx = (url: string) => url.includes('/node_modules/tsx/') || /\.[cm]?ts$/.test(new URL(url).pathname)

describe('production build', () => {
  const dirs: string[] = []
  let example: { modelPath: string; configPath: string }
  beforeAll(async () => {
    example = await cachedExampleAlgorithm()
    const build = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, encoding: 'utf8' })
    expect(build.status, build.stderr).toBe(0)
    expect(buildState()).toMatchObject({ present: true, fresh: true })
  }, 900_000)
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
  })

  it('the module audit sees tsx and the .ts sources in a source process, neither in a build process', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spider-audit-'))
    dirs.push(dir)
    for (const mode of ['source', 'build']) {
      const file = join(dir, `${mode}.log`)
      const run = await runCliToEnd(['--version'], audited({ ...process.env, SPIDER_BENCH_RUNTIME: mode }, file))
      expect(run.code, run.err).toBe(0)
      const urls = (await loaded(file)).map(([, url]) => url)
      expect(urls.some((u) => u.endsWith('/packages/cli/dist/main.js'))).toBe(mode === 'build')
      expect(urls.some(fromTsx)).toBe(mode === 'source')
    }
  })

  it('serve runs compiled code in all its threads and model processes; predictions and ONNX algorithm submissions complete', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'spider-serve-build-'))
    const auditDir = await mkdtemp(join(tmpdir(), 'spider-audit-'))
    dirs.push(dataDir, auditDir)
    const file = join(auditDir, 'modules.log')
    const env = audited(
      {
        ...process.env,
        SPIDER_BENCH_RUNTIME: 'build',
        DATA_DIR: dataDir,
        PORT: '0',
        SPIDER_QUEUE_PREFIX: `test-${randomUUID()}`,
        DATABASE_URL: '',
      },
      file,
    )
    // The model processes (children of the server: upload validation and inference) as /proc shows them.
    const models = new Map<number, string>()
    let server: CliProcess | null = null
    const poll = setInterval(() => void (server && modelProcesses(server.pid, models)), 50)
    try {
      await singleMachineStory(env, example, (s) => (server = s))
    } finally {
      clearInterval(poll)
    }

    const log = await loaded(file)
    const offending = log.filter(([, url]) => fromTsx(url))
    expect(offending, 'modules loaded through tsx or from .ts sources').toEqual([])
    const inThreads = (suffix: string) => log.some(([thread, url]) => thread > 0 && url.endsWith(suffix))
    expect(inThreads('/apps/worker/dist/processors/score-thread.js'), 'a scoring thread of the build').toBe(true)
    expect(inThreads('/apps/api/dist/lib/image-thread.js'), 'an image-validation thread of the build').toBe(true)
    expect(log.some(([thread, url]) => thread === 0 && url.endsWith('/apps/api/dist/routes/autoload.js'))).toBe(true)

    expect(models.size, 'model processes seen').toBeGreaterThan(0)
    for (const cmdline of models.values()) {
      expect(cmdline).toContain(join(ROOT, 'packages/inference/dist/runner/child-main.js'))
      expect(cmdline).not.toContain('tsx')
    }
  }, 900_000)
})

/** Records the command line of each child of `parent` that runs the model process's entry. */
async function modelProcesses(parent: number, seen: Map<number, string>): Promise<void> {
  for (const { pid, cmdline } of await modelProcessesOf(parent)) if (!seen.has(pid)) seen.set(pid, cmdline)
}
