/**
 * Seeded pseudo-random numbers (mulberry32): tiny, fast and identical on every platform, so
 * that the same seed always yields the same files (synth), weights (the example algorithm),
 * bootstrap samples (leaderboard) and test volumes. No imports, no I/O.
 */
export class Rng {
  private state: number

  constructor(seed: number) {
    this.state = seed >>> 0
  }

  /** A uniformly distributed 32-bit unsigned integer. */
  nextUint32(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.nextUint32() / 4294967296
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.float()
  }

  /** Uniform integer in [lo, hi] (both inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1))
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.float() < p
  }

  /** Standard normal deviate (Box-Muller; one value per call keeps the stream simple). */
  normal(mean = 0, sd = 1): number {
    const u = 1 - this.float()
    const v = this.float()
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
  }

  /** Normal deviate clamped to [lo, hi]: anatomy never goes implausible. */
  clampedNormal(mean: number, sd: number, lo: number, hi: number): number {
    return Math.min(hi, Math.max(lo, this.normal(mean, sd)))
  }

  /** One element, chosen uniformly. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Rng.pick: empty list')
    return items[Math.floor(this.float() * items.length)]
  }

  /** A shuffled copy (Fisher-Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items]
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.float() * (i + 1))
      ;[out[i], out[j]] = [out[j], out[i]]
    }
    return out
  }
}

/**
 * A 32-bit seed derived from a root seed and any number of labels (FNV-1a then a final mix):
 * every study, series and prediction gets an independent stream, so generating 10 studies
 * yields the same first studies as generating 39.
 */
export function deriveSeed(root: number, ...parts: Array<string | number>): number {
  let h = 0x811c9dc5 ^ (root >>> 0)
  const text = parts.join('\u0000')
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** A new generator for (root, ...parts). */
export function rngFor(root: number, ...parts: Array<string | number>): Rng {
  return new Rng(deriveSeed(root, ...parts))
}

/** Uniform numbers in [lo, hi) from `seed`, as a function (the stream of `new Rng(seed).uniform(lo, hi)`). */
export function seededRandom(seed: number, lo = 0, hi = 1): () => number {
  const rng = new Rng(seed)
  return () => rng.uniform(lo, hi)
}
