import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli } from '../testing/run-cli.ts'

const dir = mkdtempSync(join(tmpdir(), 'synth-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const run = (args: string[]) => runCli(['synth', ...args])

describe('spider-bench synth', () => {
  it('--help documents the options and every perturbation OP', async () => {
    const r = await run(['--help'])
    expect(r.code).toBe(0)
    for (const word of [
      '--out',
      '--studies',
      '--seed',
      '--size',
      '--sequences',
      '--predictions',
      '--preview',
      'relabel',
      'dilate:K',
      'erode:K',
      'shift:K',
      'drop:vertebra',
      'merge',
      'split',
      'fp:N',
      'noise:P',
    ]) {
      expect(r.out).toContain(word)
    }
  })

  it('generates small studies with predictions and previews', async () => {
    const out = join(dir, 'set')
    const r = await run([
      '--out',
      out,
      '--studies',
      '2',
      '--size',
      'small',
      '--sequences',
      't1,t2',
      '--predictions',
      'a=dilate:1',
      '--predictions',
      'b=fp:2,relabel',
      '--preview',
      '--seed',
      '3',
    ])
    expect(r.err).toContain('synth: 4/4 ')
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/wrote 4 series to .*set in [\d.]+ s \(predictions: a, b\)/)
    expect(readdirSync(join(out, 'images')).sort()).toEqual(['1_t1.mha', '1_t2.mha', '2_t1.mha', '2_t2.mha'])
    expect(readdirSync(join(out, 'predictions', 'b'))).toHaveLength(4)
    expect(readdirSync(join(out, 'preview'))).toHaveLength(4)
    expect(readFileSync(join(out, 'overview.csv'), 'utf8').trimEnd().split('\n')).toHaveLength(5)
  })

  it.each([
    [[], /--out DIR is required/],
    [['--out', join(dir, 'x'), '--studies', 'many'], /--studies expects a non-negative integer, got "many"/],
    [['--out', join(dir, 'x'), '--studies', '0'], /studies: expected an integer from 1 to 10000, got 0/],
    [['--out', join(dir, 'x'), '--seed', '-4'], /--seed/],
    [['--out', join(dir, 'x'), '--size', 'tiny'], /--size expects realistic or small, got "tiny"/],
    [['--out', join(dir, 'x'), '--sequences', 't1,t3'], /--sequences: unknown sequence "t3"/],
    [['--out', join(dir, 'x'), '--predictions', 'nospec'], /--predictions expects NAME=SPEC, got "nospec"/],
    [['--out', join(dir, 'x'), '--predictions', 'a=dilate:1', '--predictions', 'a=erode:1'], /the name "a" is given twice/],
    [['--out', join(dir, 'x'), '--predictions', 'a=blur:1'], /a=blur:1: "blur:1": unknown operation "blur"/],
    [['--out', join(dir, 'x'), '--bogus'], /Unknown option '--bogus'/],
    [['--out', join(dir, 'set')], /set is not empty .*--force/],
  ])('exits 1 with a clear message for %j', async (args, message) => {
    const r = await run(args)
    expect(r.code).toBe(1)
    expect(r.err).toMatch(message)
    expect(r.err).toMatch(/^spider-bench synth: /)
  })
})
