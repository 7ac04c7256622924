import { describe, expect, it } from 'vitest'
import { sequenceOf } from './sequence.ts'
import { structureClass } from './structures.ts'

describe('sequenceOf', () => {
  it('reads the suffix, case-insensitively', () => {
    expect(sequenceOf('12_t1')).toBe('t1')
    expect(sequenceOf('12_T2')).toBe('t2')
    expect(sequenceOf('12_t2_SPACE')).toBe('t2_SPACE')
    expect(sequenceOf('12_t2_space')).toBe('t2_SPACE')
    expect(sequenceOf('12_flair')).toBe('unknown')
    expect(sequenceOf('t1')).toBe('unknown')
  })
})

describe('structureClass', () => {
  it('follows the label scheme', () => {
    expect([1, 99, 100, 101, 200, 201, 225].map(structureClass)).toEqual([
      'vertebra',
      'vertebra',
      'canal',
      'other',
      'other',
      'disc',
      'disc',
    ])
  })
})
