/**
 * In-place 3-tap blur [w, 1 - 2w, w] along one axis of a 3D volume (x fastest), edges
 * replicated. Along x it models partial volume across thick slices; in-plane, the scanner's
 * point spread. Rows are processed whole so that memory is read in order.
 */
export function blurAxis(data: Float32Array, size: readonly [number, number, number], axis: 0 | 1 | 2, w: number): void {
  const [nx, ny, nz] = size
  const n = size[axis]
  if (n < 2 || w === 0) return
  const c = 1 - 2 * w
  if (axis === 0) {
    for (let start = 0; start < data.length; start += nx) {
      let prev = data[start]
      for (let t = 0; t < nx; t++) {
        const cur = data[start + t]
        const next = t < nx - 1 ? data[start + t + 1] : cur
        data[start + t] = c * cur + w * (prev + next)
        prev = cur
      }
    }
    return
  }
  // Axis 1: blocks of ny rows of nx values, one block per z; axis 2: one block of nz planes.
  const rowLen = axis === 1 ? nx : nx * ny
  const blocks = axis === 1 ? nz : 1
  let prev = new Float32Array(rowLen)
  let cur = new Float32Array(rowLen)
  for (let b = 0; b < blocks; b++) {
    const base = b * n * rowLen
    prev.set(data.subarray(base, base + rowLen))
    for (let t = 0; t < n; t++) {
      const row = base + t * rowLen
      cur.set(data.subarray(row, row + rowLen))
      const next = t < n - 1 ? row + rowLen : row
      if (t < n - 1) {
        for (let s = 0; s < rowLen; s++) data[row + s] = c * cur[s] + w * (prev[s] + data[next + s])
      } else {
        for (let s = 0; s < rowLen; s++) data[row + s] = c * cur[s] + w * (prev[s] + cur[s])
      }
      const tmp = prev
      prev = cur
      cur = tmp
    }
  }
}
