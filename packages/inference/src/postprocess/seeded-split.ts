import { connectedComponents, type Components } from './connected-components.ts'

/**
 * Binary erosion by a box of the given radius per axis (x, y, z); voxels outside the volume
 * count as inside the mask, so structures cut by the field of view do not shrink there.
 * Separable: a voxel survives an axis pass when its whole window along that axis is set.
 */
export function erodeBox(mask: Uint8Array, size: readonly [number, number, number], radius: readonly [number, number, number]): Uint8Array {
  let cur = mask
  const [X, Y] = size
  const strides = [1, X, X * Y]
  for (let axis = 0; axis < 3; axis++) {
    const r = radius[axis]
    if (r === 0) continue
    const n = size[axis]
    const stride = strides[axis]
    const out = new Uint8Array(cur.length)
    // Iterate over every line along `axis`, counting unset voxels in a sliding window.
    const others = [0, 1, 2].filter((a) => a !== axis)
    for (let b = 0; b < size[others[1]]; b++) {
      for (let a = 0; a < size[others[0]]; a++) {
        const base = a * strides[others[0]] + b * strides[others[1]]
        let unset = 0
        for (let i = 0; i <= Math.min(r, n - 1); i++) if (!cur[base + i * stride]) unset++
        for (let i = 0; i < n; i++) {
          out[base + i * stride] = cur[base + i * stride] && unset === 0 ? 1 : 0
          const leave = i - r
          const enter = i + r + 1
          if (leave >= 0 && !cur[base + leave * stride]) unset--
          if (enter < n && !cur[base + enter * stride]) unset++
        }
      }
    }
    cur = out
  }
  return cur === mask ? mask.slice() : cur
}

/**
 * Splits touching instances of one class: the mask is eroded, the components of what remains
 * (at least `minSeedVoxels`) become seeds, and every mask voxel joins the seed it is reached
 * from first by a breadth-first walk inside the mask (so a thin bridge between two vertebrae
 * is cut in its middle). Parts no seed reaches keep their own component. Returns components
 * in the same form as connectedComponents.
 */
export function seededSplit(
  size: readonly [number, number, number],
  mask: Uint8Array,
  radius: readonly [number, number, number],
  minSeedVoxels: number,
  connectivity: 6 | 26,
): Components {
  const [X, Y, Z] = size
  const eroded = erodeBox(mask, size, radius)
  const seeds = connectedComponents(size, eroded, connectivity)
  const keep = new Int32Array(seeds.count + 1)
  let count = 0
  for (let i = 0; i < seeds.count; i++) if (seeds.sizes[i] >= minSeedVoxels) keep[i + 1] = ++count
  const labels = new Int32Array(mask.length)
  let queue = new Int32Array(Math.max(1024, mask.length))
  let head = 0
  let tail = 0
  for (let v = 0; v < mask.length; v++) {
    const s = keep[seeds.labels[v]]
    if (s) {
      labels[v] = s
      queue[tail++] = v
    }
  }
  while (head < tail) {
    const v = queue[head++]
    const x = v % X
    const y = ((v - x) / X) % Y
    const z = (v - x - y * X) / (X * Y)
    const id = labels[v]
    // The six face neighbours, inline (a closure per voxel would dominate the walk).
    for (let n = 0; n < 6; n++) {
      let u: number
      if (n === 0) {
        if (x === 0) continue
        u = v - 1
      } else if (n === 1) {
        if (x === X - 1) continue
        u = v + 1
      } else if (n === 2) {
        if (y === 0) continue
        u = v - X
      } else if (n === 3) {
        if (y === Y - 1) continue
        u = v + X
      } else if (n === 4) {
        if (z === 0) continue
        u = v - X * Y
      } else {
        if (z === Z - 1) continue
        u = v + X * Y
      }
      if (mask[u] === 0 || labels[u] !== 0) continue
      labels[u] = id
      if (tail === queue.length) {
        const grown = new Int32Array(queue.length * 2)
        grown.set(queue)
        queue = grown
      }
      queue[tail++] = u
    }
  }
  // Unreached parts of the mask: their own components, numbered after the seeds.
  const unreached = new Uint8Array(mask.length)
  for (let v = 0; v < mask.length; v++) if (mask[v] && labels[v] === 0) unreached[v] = 1
  const rest = connectedComponents(size, unreached, connectivity)
  for (let v = 0; v < mask.length; v++) if (rest.labels[v]) labels[v] = count + rest.labels[v]
  const total = count + rest.count
  const sizes = new Array<number>(total).fill(0)
  const sums = Array.from({ length: total }, () => [0, 0, 0])
  for (let v = 0; v < labels.length; v++) {
    const id = labels[v]
    if (!id) continue
    const x = v % X
    const y = ((v - x) / X) % Y
    const z = (v - x - y * X) / (X * Y)
    sizes[id - 1]++
    sums[id - 1][0] += x
    sums[id - 1][1] += y
    sums[id - 1][2] += z
  }
  const centroids = sums.map((s, i) => s.map((c) => c / Math.max(1, sizes[i])) as [number, number, number])
  return { labels, count: total, sizes, centroids }
}
