/**
 * Mirrors a [channels, z, y, x] block (x fastest) along the given array axes; returns a new
 * array. Flipping twice restores the input, which is how mirrored outputs are mapped back.
 */
export function flipBlock(
  src: Float32Array,
  channels: number,
  dims: readonly [number, number, number],
  axes: ReadonlySet<'x' | 'y' | 'z'>,
): Float32Array {
  const [dz, dy, dx] = dims
  const fx = axes.has('x')
  const fy = axes.has('y')
  const fz = axes.has('z')
  const out = new Float32Array(src.length)
  const vol = dz * dy * dx
  for (let c = 0; c < channels; c++) {
    for (let z = 0; z < dz; z++) {
      const sz = fz ? dz - 1 - z : z
      for (let y = 0; y < dy; y++) {
        const sy = fy ? dy - 1 - y : y
        const d = c * vol + (z * dy + y) * dx
        const s = c * vol + (sz * dy + sy) * dx
        if (fx) for (let x = 0; x < dx; x++) out[d + x] = src[s + dx - 1 - x]
        else out.set(src.subarray(s, s + dx), d)
      }
    }
  }
  return out
}

/** All subsets of the mirror axes (the identity first): 2^k model runs per patch. */
export function mirrorCombinations(axes: readonly ('x' | 'y' | 'z')[]): Set<'x' | 'y' | 'z'>[] {
  let sets: Set<'x' | 'y' | 'z'>[] = [new Set()]
  for (const a of axes) sets = sets.concat(sets.map((s) => new Set([...s, a])))
  return sets
}
