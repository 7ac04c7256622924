import { seededRandom } from '@spider-bench/random'

/** A dense layer: weights [out][in] row-major, bias [out]. */
export interface DenseLayer {
  readonly inputs: number
  readonly outputs: number
  readonly weights: Float32Array
  readonly bias: Float32Array
}

export interface TrainingSet {
  /** Samples row-major: n x features. */
  readonly x: Float32Array
  /** Class index per sample. */
  readonly y: Uint8Array
  readonly features: number
  readonly classes: number
}

export interface TrainOptions {
  readonly hidden: readonly number[]
  readonly epochs: number
  readonly batch: number
  readonly learningRate: number
  readonly seed: number
  readonly onEpoch?: (epoch: number, loss: number, accuracy: number) => void
}

/** Per-feature mean and standard deviation, folded into the first layer after training. */
function featureStats(set: TrainingSet): { mean: Float32Array; std: Float32Array } {
  const { x, features: f } = set
  const n = x.length / f
  const mean = new Float32Array(f)
  const std = new Float32Array(f)
  for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) mean[j] += x[i * f + j] / n
  for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) std[j] += (x[i * f + j] - mean[j]) ** 2 / n
  for (let j = 0; j < f; j++) std[j] = Math.sqrt(std[j]) || 1
  return { mean, std }
}

/**
 * Trains a ReLU multilayer perceptron with softmax cross-entropy and Adam, on standardised
 * features; returns layers that take the raw features (standardisation folded into layer 0).
 * Deterministic for a given seed: the example algorithm is rebuilt identically every time.
 */
export function trainMlp(set: TrainingSet, opts: TrainOptions): DenseLayer[] {
  const rand = seededRandom(opts.seed, -1, 1)
  const { mean, std } = featureStats(set)
  const f = set.features
  const n = set.y.length
  const sizes = [f, ...opts.hidden, set.classes]
  const layers = sizes.slice(1).map((out, l) => {
    const inp = sizes[l]
    const scale = Math.sqrt(2 / inp) * Math.sqrt(3) // He initialisation, uniform
    return {
      inputs: inp,
      outputs: out,
      weights: Float32Array.from({ length: out * inp }, () => rand() * scale),
      bias: new Float32Array(out),
    }
  })
  const adam = layers.map((L) => ({
    mw: new Float32Array(L.weights.length),
    vw: new Float32Array(L.weights.length),
    mb: new Float32Array(L.outputs),
    vb: new Float32Array(L.outputs),
  }))
  const grads = layers.map((L) => ({ w: new Float32Array(L.weights.length), b: new Float32Array(L.outputs) }))
  const acts = sizes.map((s) => new Float32Array(s * opts.batch))
  const deltas = sizes.map((s) => new Float32Array(s * opts.batch))
  const order = Int32Array.from({ length: n }, (_, i) => i)
  const beta1 = 0.9
  const beta2 = 0.999
  let step = 0

  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(((rand() + 1) / 2) * (i + 1))
      const t = order[i]
      order[i] = order[j]
      order[j] = t
    }
    const lr = opts.learningRate * (epoch < opts.epochs - 2 ? 1 : 0.2)
    let lossSum = 0
    let correct = 0
    for (let start = 0; start + opts.batch <= n; start += opts.batch) {
      const B = opts.batch
      const a0 = acts[0]
      for (let b = 0; b < B; b++) {
        const s = order[start + b]
        for (let j = 0; j < f; j++) a0[b * f + j] = (set.x[s * f + j] - mean[j]) / std[j]
      }
      // Forward.
      layers.forEach((L, l) => {
        const inp = acts[l]
        const out = acts[l + 1]
        const relu = l < layers.length - 1
        for (let b = 0; b < B; b++) {
          for (let o = 0; o < L.outputs; o++) {
            let v = L.bias[o]
            const wo = o * L.inputs
            const ib = b * L.inputs
            for (let i = 0; i < L.inputs; i++) v += L.weights[wo + i] * inp[ib + i]
            out[b * L.outputs + o] = relu && v < 0 ? 0 : v
          }
        }
      })
      // Softmax cross-entropy gradient at the logits.
      const C = set.classes
      const logits = acts[layers.length]
      const dOut = deltas[layers.length]
      for (let b = 0; b < B; b++) {
        let max = -Infinity
        for (let c = 0; c < C; c++) max = Math.max(max, logits[b * C + c])
        let sum = 0
        for (let c = 0; c < C; c++) sum += Math.exp(logits[b * C + c] - max)
        const label = set.y[order[start + b]]
        let best = 0
        for (let c = 0; c < C; c++) {
          const p = Math.exp(logits[b * C + c] - max) / sum
          dOut[b * C + c] = (p - (c === label ? 1 : 0)) / B
          if (logits[b * C + c] > logits[b * C + best]) best = c
        }
        lossSum -= logits[b * C + label] - max - Math.log(sum)
        if (best === label) correct++
      }
      // Backward.
      for (let l = layers.length - 1; l >= 0; l--) {
        const L = layers[l]
        const g = grads[l]
        g.w.fill(0)
        g.b.fill(0)
        const inp = acts[l]
        const d = deltas[l + 1]
        const dIn = deltas[l]
        if (l > 0) dIn.fill(0)
        for (let b = 0; b < B; b++) {
          for (let o = 0; o < L.outputs; o++) {
            const dv = d[b * L.outputs + o]
            if (dv === 0) continue
            g.b[o] += dv
            const wo = o * L.inputs
            const ib = b * L.inputs
            for (let i = 0; i < L.inputs; i++) {
              g.w[wo + i] += dv * inp[ib + i]
              if (l > 0) dIn[ib + i] += dv * L.weights[wo + i]
            }
          }
        }
        // Through the ReLU of the layer below.
        if (l > 0) for (let k = 0; k < L.inputs * B; k++) if (inp[k] <= 0) dIn[k] = 0
      }
      step++
      const c1 = 1 - beta1 ** step
      const c2 = 1 - beta2 ** step
      layers.forEach((L, l) => {
        const m = adam[l]
        const g = grads[l]
        for (let k = 0; k < L.weights.length; k++) {
          m.mw[k] = beta1 * m.mw[k] + (1 - beta1) * g.w[k]
          m.vw[k] = beta2 * m.vw[k] + (1 - beta2) * g.w[k] ** 2
          L.weights[k] -= (lr * m.mw[k]) / c1 / (Math.sqrt(m.vw[k] / c2) + 1e-8)
        }
        for (let k = 0; k < L.outputs; k++) {
          m.mb[k] = beta1 * m.mb[k] + (1 - beta1) * g.b[k]
          m.vb[k] = beta2 * m.vb[k] + (1 - beta2) * g.b[k] ** 2
          L.bias[k] -= (lr * m.mb[k]) / c1 / (Math.sqrt(m.vb[k] / c2) + 1e-8)
        }
      })
    }
    const seen = Math.floor(n / opts.batch) * opts.batch
    opts.onEpoch?.(epoch, lossSum / seen, correct / seen)
  }
  // Fold standardisation into layer 0: w' = w / std, b' = b - sum(w * mean / std).
  const first = layers[0]
  for (let o = 0; o < first.outputs; o++) {
    for (let j = 0; j < f; j++) {
      const w = first.weights[o * f + j] / std[j]
      first.weights[o * f + j] = w
      first.bias[o] -= w * mean[j]
    }
  }
  return layers
}

/** Applies the layers to one feature vector: the logits (used by tests and for checking). */
export function mlpForward(layers: readonly DenseLayer[], x: ArrayLike<number>): Float32Array {
  let cur = Float32Array.from(x)
  layers.forEach((L, l) => {
    const out = new Float32Array(L.outputs)
    for (let o = 0; o < L.outputs; o++) {
      let v = L.bias[o]
      for (let i = 0; i < L.inputs; i++) v += L.weights[o * L.inputs + i] * cur[i]
      out[o] = l < layers.length - 1 && v < 0 ? 0 : v
    }
    cur = out
  })
  return cur
}
