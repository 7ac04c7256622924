import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { validateAlgorithm } from '@spider-bench/inference'
import { EXAMPLE_CONFIG } from '@spider-bench/inference/example'
import { runCli } from '../testing/run-cli.ts'

const dir = mkdtempSync(join(tmpdir(), 'example-algorithm-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const run = (args: string[]) => runCli(['example-algorithm', ...args])

describe('spider-bench example-algorithm', () => {
  it('--help documents the options', async () => {
    const r = await run(['--help'])
    expect(r.code).toBe(0)
    for (const word of ['--out', '--seed', '--studies', '--epochs', 'model.onnx', 'config.json']) expect(r.out).toContain(word)
  })

  it('refuses missing or bad options with exit code 1', async () => {
    expect(await run([])).toMatchObject({ code: 1, err: 'spider-bench example-algorithm: --out DIR is required' })
    expect(await run(['--out', dir, '--epochs', 'x'])).toMatchObject({
      code: 1,
      err: 'spider-bench example-algorithm: --epochs expects a positive integer, got "x"',
    })
    expect((await run(['--out', dir, '--bogus'])).code).toBe(1)
  })

  it('writes a model and config that pass upload validation (small training run)', async () => {
    const r = await run(['--out', join(dir, 'algo'), '--studies', '1', '--epochs', '1', '--quiet'])
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/^wrote .*model\.onnx \(\d+ bytes\) and .*config\.json$/)
    const config = JSON.parse(readFileSync(join(dir, 'algo', 'config.json'), 'utf8'))
    expect(config).toEqual(EXAMPLE_CONFIG)
    const validated = await validateAlgorithm(join(dir, 'algo', 'model.onnx'), config)
    expect(validated).toMatchObject({ inputName: 'image', outputName: 'logits' })
  }, 600_000)
})
