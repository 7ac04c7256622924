import { describe, expect, it } from 'vitest'
import { deriveSeed, Rng, rngFor, seededRandom } from './prng.ts'

describe('Rng', () => {
  it('repeats its stream for a seed and differs between seeds', () => {
    const a = new Rng(42)
    const b = new Rng(42)
    const xs = Array.from({ length: 5 }, () => a.nextUint32())
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(xs)
    expect(new Rng(43).nextUint32()).not.toBe(xs[0])
  })

  it('draws within the documented ranges with plausible moments', () => {
    const r = new Rng(7)
    let sum = 0
    let sq = 0
    let fMin = 1
    let fMax = 0
    const ints = new Set<number>()
    const n = 20000
    for (let i = 0; i < n; i++) {
      const f = r.float()
      fMin = Math.min(fMin, f)
      fMax = Math.max(fMax, f)
      ints.add(r.int(3, 5))
      const g = r.normal()
      sum += g
      sq += g * g
    }
    expect(fMin).toBeGreaterThanOrEqual(0)
    expect(fMax).toBeLessThan(1)
    expect([...ints].sort()).toEqual([3, 4, 5])
    expect(Math.abs(sum / n)).toBeLessThan(0.05)
    expect(Math.abs(sq / n - 1)).toBeLessThan(0.05)
    expect(r.clampedNormal(0, 100, -1, 1)).toBeGreaterThanOrEqual(-1)
    expect(r.shuffle([1, 2, 3, 4, 5]).sort()).toEqual([1, 2, 3, 4, 5])
    expect(() => r.pick([])).toThrow(/empty list/)
  })

  it('derives independent, stable seeds from labels', () => {
    expect(deriveSeed(1, 'anatomy', 3)).toBe(deriveSeed(1, 'anatomy', 3))
    expect(deriveSeed(1, 'anatomy', 3)).not.toBe(deriveSeed(1, 'anatomy', 4))
    expect(deriveSeed(1, 'anatomy', 3)).not.toBe(deriveSeed(2, 'anatomy', 3))
    // Parts are separated: ('a1', '') and ('a', '1') differ.
    expect(deriveSeed(1, 'a1', '')).not.toBe(deriveSeed(1, 'a', '1'))
    expect(rngFor(5, 'x').float()).toBe(rngFor(5, 'x').float())
  })
})

describe('seededRandom', () => {
  it('is the float stream of Rng, in [0, 1), and equals the mulberry32 copies it replaced', () => {
    const f = seededRandom(7)
    const rng = new Rng(7)
    const xs = Array.from({ length: 1000 }, () => f())
    expect(xs).toEqual(Array.from({ length: 1000 }, () => rng.float()))
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true)
    // The hand-written copy formerly in packages/scoring and packages/inference.
    let a = 7
    const copy = () => {
      a = (a + 0x6d2b79f5) >>> 0
      let t = a
      t = Math.imul(t ^ (t >>> 15), t | 1)
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296
    }
    expect(Array.from({ length: 1000 }, copy)).toEqual(xs)
    // The inference copy gave [-1, 1): the same stream, scaled.
    const signed = seededRandom(7, -1, 1)
    expect(Array.from({ length: 1000 }, () => signed())).toEqual(xs.map((x) => x * 2 - 1))
  })
})
