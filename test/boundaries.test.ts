/**
 * The dependency rule of eslint.config.js, through the ESLint Node API with the project's own
 * configuration: a file that crosses a boundary (written next to real code for the test, then
 * removed) is an error naming the rule, and the code as it is passes. Only the boundary rules
 * run here, without type information (they need none), so the check takes seconds; `npm run
 * lint` runs the same rules with the others.
 */
import { randomUUID } from 'node:crypto'
import { readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ESLint } from 'eslint'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..')
const BOUNDARY_RULES = new Set(['no-restricted-imports', 'no-restricted-syntax'])

function boundaryLinter(): ESLint {
  return new ESLint({
    cwd: ROOT,
    ruleFilter: ({ ruleId }) => BOUNDARY_RULES.has(ruleId),
    overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
  })
}

/** Lints `code` written as a new file in `dir` (relative to the root); the file is removed again. */
async function lintAt(dir: string, code: string): Promise<Array<{ ruleId: string | null; message: string }>> {
  const file = join(ROOT, dir, `zz-boundary-check-${randomUUID()}.ts`)
  await writeFile(file, code)
  try {
    const [result] = await boundaryLinter().lintFiles([file])
    return result.messages.map((m) => ({ ruleId: m.ruleId, message: m.message }))
  } finally {
    await rm(file, { force: true })
  }
}

describe('dependency rule (eslint.config.js)', () => {
  it('refuses an app importing another app, statically or with import()', async () => {
    const messages = await lintAt(
      'apps/api/src',
      "import { startWorkers } from '@spider-bench/worker'\nexport const start = startWorkers\n" +
        "export const later = () => import('@spider-bench/worker')\n",
    )
    expect(messages).toEqual([
      { ruleId: 'no-restricted-imports', message: expect.stringContaining('apps/worker is an app') },
      { ruleId: 'no-restricted-syntax', message: expect.stringContaining('apps/worker is an app') },
    ])
    expect(await lintAt('apps/worker/src', "import { buildApp } from '@spider-bench/api'\nexport { buildApp }\n")).toEqual([
      { ruleId: 'no-restricted-imports', message: expect.stringContaining('apps/api is an app') },
    ])
    expect(await lintAt('apps/worker/src', "export * from '../../api/src/app.ts'\n")).toEqual([
      { ruleId: 'no-restricted-imports', message: expect.stringContaining('reaches into apps/api') },
    ])
  })

  it('refuses a package importing an app, except the CLI entry points that start them', async () => {
    expect(await lintAt('packages/evaluation/src', "export { buildApp } from '@spider-bench/api'\n")).toEqual([
      { ruleId: 'no-restricted-imports', message: expect.stringContaining('apps/api is an app') },
    ])
    expect(await lintAt('packages/cli/src/commands', "export const load = () => import('@spider-bench/worker')\n")).toEqual([
      { ruleId: 'no-restricted-syntax', message: expect.stringContaining('apps/worker is an app') },
    ])
    expect(await lintAt('packages/cli/src/commands', "import { UsageError } from '../main.ts'\nexport { UsageError }\n")).toEqual([
      { ruleId: 'no-restricted-imports', message: expect.stringContaining('an import cycle') },
    ])
  })

  it('keeps scoring and leaderboard free of I/O beyond the image files, and the runner free of the generator', async () => {
    const io = "import { readFile } from 'node:fs/promises'\nexport const read = readFile\n"
    expect(await lintAt('packages/scoring/src/metrics', io)).toEqual([
      { ruleId: 'no-restricted-imports', message: expect.stringContaining('no I/O') },
    ])
    expect(await lintAt('packages/scoring/src/image', io)).toEqual([])
    expect(await lintAt('packages/leaderboard/src', io)).toEqual([
      { ruleId: 'no-restricted-imports', message: expect.stringContaining('no I/O') },
    ])
    expect(
      await lintAt('packages/leaderboard/src', "import type { PrismaClient } from '@spider-bench/db'\nexport type Db = PrismaClient\n"),
    ).toEqual([{ ruleId: 'no-restricted-imports', message: expect.stringContaining('no package with I/O') }])
    expect(await lintAt('packages/scoring/src', "export const q = () => import('bullmq')\n")).toEqual([
      { ruleId: 'no-restricted-syntax', message: expect.stringContaining('no package with I/O') },
    ])
    expect(await lintAt('packages/inference/src/runner', "export { synthesize } from '@spider-bench/synth'\n")).toEqual([
      { ruleId: 'no-restricted-imports', message: expect.stringContaining('never loads the generator') },
    ])
    expect(await lintAt('packages/inference/src/example', "export { synthesize } from '@spider-bench/synth'\n")).toEqual([])
  })

  it('passes on the code as it is', async () => {
    const results = await boundaryLinter().lintFiles(['apps', 'packages'])
    const problems = results.flatMap((r) => r.messages.map((m) => `${r.filePath.slice(ROOT.length + 1)}:${m.line} ${m.message}`))
    expect(problems).toEqual([])
    expect(results.length).toBeGreaterThan(300)
  })
})

describe('workspace manifests', () => {
  it('list every workspace a workspace imports (tests and test helpers as devDependencies)', async () => {
    const missing: string[] = []
    for (const group of ['apps', 'packages']) {
      for (const name of await readdir(join(ROOT, group))) {
        const dir = join(ROOT, group, name)
        const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as {
          name: string
          dependencies?: object
          devDependencies?: object
        }
        const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.devDependencies ?? {})])
        const files = (await readdir(join(dir, 'src'), { recursive: true })).filter(
          (f) => /\.(ts|tsx|mjs)$/.test(f) && !f.includes('generated'),
        )
        for (const f of files) {
          const text = await readFile(join(dir, 'src', f), 'utf8')
          for (const [, used] of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"](@spider-bench\/[a-z-]+)/g)) {
            if (used !== manifest.name && !declared.has(used))
              missing.push(`${group}/${name}/src/${f} imports ${used}, not in its package.json`)
          }
        }
      }
    }
    expect(missing).toEqual([])
  })
})
