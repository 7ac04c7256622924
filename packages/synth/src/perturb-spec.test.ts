import { describe, expect, it } from 'vitest'
import { parsePerturbSpec } from './perturb-spec.ts'

describe('parsePerturbSpec', () => {
  it('parses every OP with its argument, in order', () => {
    expect(parsePerturbSpec('dilate:1,erode:2,shift:-3,drop:disc,merge,split,fp:4,noise:0.25,relabel,identity')).toEqual([
      { op: 'dilate', k: 1 },
      { op: 'erode', k: 2 },
      { op: 'shift', k: -3 },
      { op: 'drop', target: 'disc' },
      { op: 'merge' },
      { op: 'split' },
      { op: 'fp', n: 4 },
      { op: 'noise', p: 0.25 },
      { op: 'relabel' },
      { op: 'identity' },
    ])
    expect(parsePerturbSpec(' drop:canal , drop:vertebra ')).toEqual([
      { op: 'drop', target: 'canal' },
      { op: 'drop', target: 'vertebra' },
    ])
  })

  it.each([
    ['', /empty operation/],
    ['dilate:1,', /empty operation/],
    ['blur:2', /unknown operation "blur"/],
    ['dilate', /dilate needs an integer argument \(dilate:K\), got none/],
    ['erode:1.5', /erode needs an integer argument.*got "1.5"/],
    ['dilate:0', /dilate:0 is out of range \(1 to 20\)/],
    ['shift:0', /shift:0 does nothing/],
    ['drop', /drop needs vertebra, disc or canal/],
    ['drop:sacrum', /drop needs vertebra, disc or canal.*got "sacrum"/],
    ['merge:2', /merge takes no argument, got "merge:2"/],
    ['fp:0', /fp:0 is out of range/],
    ['noise:0', /noise needs a probability 0 < P <= 1.*got "0"/],
    ['noise:1.5', /noise needs a probability/],
    ['noise:abc', /noise needs a probability/],
    ['relabel,drop:disc', /drop must come before relabel/],
    ['relabel,split', /split must come before relabel/],
  ])('rejects %j with a message naming the problem', (spec, message) => {
    expect(() => parsePerturbSpec(spec)).toThrow(message)
    // The message always quotes the whole SPEC.
    expect(() => parsePerturbSpec(spec)).toThrow(`"${spec}"`)
  })
})
