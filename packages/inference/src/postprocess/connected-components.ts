/**
 * Connected components of the voxels where `mask[v]` is set (6- or 26-connectivity), labelled
 * 1..n in scan order. Iterative flood fill with an explicit stack, so large components cannot
 * overflow the call stack.
 */
export interface Components {
  readonly labels: Int32Array
  readonly count: number
  /** Voxel count of component i at index i - 1. */
  readonly sizes: number[]
  /** Mean voxel index (x, y, z) of component i at index i - 1. */
  readonly centroids: [number, number, number][]
}

function neighbourOffsets(connectivity: 6 | 26): [number, number, number][] {
  const out: [number, number, number][] = []
  for (let dz = -1; dz <= 1; dz++)
    for (let dy = -1; dy <= 1; dy++)
      for (let dx = -1; dx <= 1; dx++) {
        const n = Math.abs(dx) + Math.abs(dy) + Math.abs(dz)
        if (n === 0 || (connectivity === 6 && n > 1)) continue
        out.push([dx, dy, dz])
      }
  return out
}

export function connectedComponents(size: readonly [number, number, number], mask: Uint8Array, connectivity: 6 | 26): Components {
  const [X, Y, Z] = size
  const labels = new Int32Array(X * Y * Z)
  const offsets = neighbourOffsets(connectivity)
  // Plain arrays of offsets: no destructuring in the innermost loop.
  const ox = Int32Array.from(offsets, (o) => o[0])
  const oy = Int32Array.from(offsets, (o) => o[1])
  const oz = Int32Array.from(offsets, (o) => o[2])
  const sizes: number[] = []
  const centroids: [number, number, number][] = []
  let stack = new Int32Array(1024)
  let count = 0
  for (let seed = 0; seed < labels.length; seed++) {
    if (labels[seed] !== 0 || mask[seed] === 0) continue
    const id = ++count
    labels[seed] = id
    let top = 0
    stack[top++] = seed
    let n = 0
    let sx = 0
    let sy = 0
    let sz = 0
    while (top > 0) {
      const v = stack[--top]
      const x = v % X
      const y = ((v - x) / X) % Y
      const z = (v - x - y * X) / (X * Y)
      n++
      sx += x
      sy += y
      sz += z
      for (let o = 0; o < offsets.length; o++) {
        const nx = x + ox[o]
        const ny = y + oy[o]
        const nz = z + oz[o]
        if (nx < 0 || ny < 0 || nz < 0 || nx >= X || ny >= Y || nz >= Z) continue
        const u = (nz * Y + ny) * X + nx
        if (labels[u] !== 0 || mask[u] === 0) continue
        labels[u] = id
        if (top === stack.length) {
          const grown = new Int32Array(stack.length * 2)
          grown.set(stack)
          stack = grown
        }
        stack[top++] = u
      }
    }
    sizes.push(n)
    centroids.push([sx / n, sy / n, sz / n])
  }
  return { labels, count, sizes, centroids }
}
