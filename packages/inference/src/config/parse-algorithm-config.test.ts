import { describe, expect, it } from 'vitest'
import { AlgorithmValidationError } from '../errors.ts'
import type { AlgorithmConfig } from './algorithm-config-schema.ts'
import { parseAlgorithmConfig, parseAlgorithmConfigText } from './parse-algorithm-config.ts'

const valid: AlgorithmConfig = {
  schemaVersion: 1,
  input: { channels: ['image'], spacing: [2, 0.6, 0.6] },
  normalization: { kind: 'percentile-z-score', lower: 0.5, upper: 99.5 },
  slidingWindow: { patchSize: [32, 96, 96], overlap: 0.5, blending: 'gaussian' },
  mirroring: { axes: ['x'] },
  output: { kind: 'logits', channels: [{ class: 'background' }, { class: 'vertebra' }, { class: 'disc' }, { label: 100 }] },
}

function reason(value: unknown): string {
  try {
    parseAlgorithmConfig(value)
  } catch (err) {
    expect(err).toBeInstanceOf(AlgorithmValidationError)
    expect((err as AlgorithmValidationError).part).toBe('config')
    return (err as Error).message
  }
  throw new Error('expected the config to be rejected')
}

describe('algorithm config', () => {
  it('accepts a valid config', () => {
    expect(parseAlgorithmConfig(valid)).toEqual(valid)
  })

  it('names the field and the value of each schema violation', () => {
    expect(reason({ ...valid, schemaVersion: 2 })).toMatch(/^config.json: \/schemaVersion: Expected 1 \(got 2\)/)
    expect(reason({ ...valid, input: { ...valid.input, spacing: [2, 0, 1] } })).toContain('/input/spacing')
    expect(reason({ ...valid, input: { ...valid.input, channels: ['image', 'flair'] } })).toContain('/input/channels/1')
    expect(reason({ ...valid, slidingWindow: { ...valid.slidingWindow, patchSize: [32, 96] } })).toContain('/slidingWindow/patchSize')
    expect(reason({ ...valid, slidingWindow: { ...valid.slidingWindow, overlap: 0.95 } })).toContain('/slidingWindow/overlap')
    expect(reason({ ...valid, extra: 1 })).toContain('/extra')
    expect(reason({ ...valid, output: { kind: 'logits', channels: [{ class: 'vertebra' }] } })).toContain('/output')
    expect(reason({ ...valid, normalization: { kind: 'minmax' } })).toBe(
      'config.json: /normalization/kind: must be one of "none", "z-score", "percentile-z-score" (got "minmax")',
    )
    expect(reason({ ...valid, output: { ...valid.output, channels: [{ class: 'bone' }, { label: 1 }] } })).toBe(
      'config.json: /output/channels/0/class: must be one of "background", "vertebra", "disc", "canal" (got "bone")',
    )
  })

  it('checks the rules the schema cannot express', () => {
    expect(reason({ ...valid, input: { ...valid.input, channels: ['t1', 't2'] } })).toBe(
      'config.json: /input/channels must include "image" (got ["t1","t2"])',
    )
    expect(reason({ ...valid, normalization: { kind: 'percentile-z-score', lower: 99, upper: 1 } })).toBe(
      'config.json: /normalization: lower percentile 99 must be below upper percentile 1',
    )
    expect(reason({ ...valid, slidingWindow: { ...valid.slidingWindow, border: [0, 30, 0] } })).toBe(
      'config.json: /slidingWindow: along y the step 48 (patch 96, overlap 0.5) ' +
        'exceeds patch minus both borders (96 - 2 x 30), so some voxels would get no weight',
    )
    expect(reason({ ...valid, output: { kind: 'labels' } })).toBe(
      'config.json: /mirroring: test-time mirroring averages outputs and needs output.kind "logits" or "probabilities", not "labels"',
    )
  })

  it('reports JSON syntax errors with the file name', () => {
    expect(() => parseAlgorithmConfigText('{"schemaVersion": 1,', 'cfg.json')).toThrow(/^cfg.json: not valid JSON \(/)
  })
})
