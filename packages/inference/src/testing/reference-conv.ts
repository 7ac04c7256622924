import type { ConvLayer } from '../onnx/conv-net.ts'

/** Direct (slow, obvious) 3D convolution with zero padding: the reference the ONNX graphs are checked against. */
export function referenceConv(
  input: Float32Array,
  channels: number,
  dims: readonly [number, number, number],
  layers: readonly ConvLayer[],
): Float32Array {
  const [Z, Y, X] = dims
  const vol = Z * Y * X
  let cur = input
  let C = channels
  for (const layer of layers) {
    const [kz, ky, kx] = layer.kernel
    const out = new Float32Array(layer.outChannels * vol)
    for (let o = 0; o < layer.outChannels; o++) {
      for (let z = 0; z < Z; z++)
        for (let y = 0; y < Y; y++)
          for (let x = 0; x < X; x++) {
            let s = layer.bias[o]
            for (let c = 0; c < C; c++)
              for (let a = 0; a < kz; a++)
                for (let b = 0; b < ky; b++)
                  for (let d = 0; d < kx; d++) {
                    const zz = z + a - (kz >> 1)
                    const yy = y + b - (ky >> 1)
                    const xx = x + d - (kx >> 1)
                    if (zz < 0 || yy < 0 || xx < 0 || zz >= Z || yy >= Y || xx >= X) continue
                    s += cur[c * vol + (zz * Y + yy) * X + xx] * layer.weights[(((o * C + c) * kz + a) * ky + b) * kx + d]
                  }
            out[o * vol + (z * Y + y) * X + x] = layer.activation === 'relu' ? Math.max(0, s) : s
          }
    }
    cur = out
    C = layer.outChannels
  }
  return cur
}

export function randomLayer(
  rand: () => number,
  inChannels: number,
  outChannels: number,
  kernel: readonly [number, number, number],
  activation: 'relu' | 'none',
): ConvLayer {
  const n = outChannels * inChannels * kernel[0] * kernel[1] * kernel[2]
  return {
    weights: Float32Array.from({ length: n }, () => rand() * 0.5),
    bias: Float32Array.from({ length: outChannels }, () => rand() * 0.1),
    inChannels,
    outChannels,
    kernel,
    activation,
  }
}
