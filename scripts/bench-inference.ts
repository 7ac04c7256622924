/**
 * `npm run bench:inference`: runs the example algorithm (npx spider-bench example-algorithm,
 * trained once and cached) over the 97-series realistic synthetic set (39 studies, seed 1,
 * generated once) exactly as an inference worker does (one model process, series by series,
 * masks written to disk), then scores the masks with the `spider` profile. Reports:
 * - throughput: voxels per second of the original images, per-series time (mean, median, max);
 * - where the time goes: onnxruntime vs resampling, normalisation, sliding-window blending,
 *   post-processing, reading and writing; the share outside onnxruntime (target < 25 %);
 * - the segmentation quality (mean Dice, detection) from the real scorer.
 * Options: --provider cpu|cuda|webgpu (strict: no fallback; default cpu), --data DIR,
 * --model DIR (model.onnx + config.json; default the example), --series N (first N series),
 * --threads N (onnxruntime CPU threads), --out FILE (JSON result).
 */
import { existsSync } from 'node:fs'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import {
  EXECUTION_PROVIDERS,
  parseAlgorithmConfig,
  predictDirectory,
  type ExecutionProvider,
  type SeriesPrediction,
} from '@spider-bench/inference'
import { cachedExampleAlgorithm } from '@spider-bench/inference/testing'
import { buildResultDocument, listImages, scoreSeriesFiles } from '@spider-bench/scoring'
import { synthesize } from '@spider-bench/synth'

const { values } = parseArgs({
  options: {
    provider: { type: 'string', default: 'cpu' },
    data: { type: 'string' },
    model: { type: 'string' },
    series: { type: 'string' },
    threads: { type: 'string' },
    out: { type: 'string' },
  },
  strict: true,
})
const provider = values.provider as ExecutionProvider
if (!EXECUTION_PROVIDERS.includes(provider))
  throw new Error(`--provider: expected one of ${EXECUTION_PROVIDERS.join(', ')}, got "${values.provider}"`)
const data = resolve(values.data ?? 'bench-out/inference-seed1')
const marker = join(data, 'bench-complete.json')
if (!existsSync(marker)) {
  await rm(data, { recursive: true, force: true })
  const t0 = performance.now()
  const result = await synthesize({
    out: data,
    studies: 39,
    seed: 1,
    size: 'realistic',
    onProgress: ({ done, total }) => process.stderr.write(`\rgenerating ${done}/${total} series`),
  })
  process.stderr.write('\n')
  await writeFile(marker, JSON.stringify({ series: result.series.length, seconds: (performance.now() - t0) / 1000 }))
}

const algorithm = values.model
  ? { modelPath: join(values.model, 'model.onnx'), configPath: join(values.model, 'config.json') }
  : await cachedExampleAlgorithm((m) => process.stderr.write(`example-algorithm: ${m}\n`))
const config = parseAlgorithmConfig(JSON.parse(await readFile(algorithm.configPath, 'utf8')), algorithm.configPath)
const all = [...(await listImages(join(data, 'images'), 'image')).keys()]
const only = values.series ? all.slice(0, Number(values.series)) : all
const outDir = join(data, `predicted-${provider}`)
await rm(outDir, { recursive: true, force: true })
await mkdir(outDir, { recursive: true })

const started = performance.now()
const run = await predictDirectory({
  modelPath: algorithm.modelPath,
  config,
  imagesDir: join(data, 'images'),
  outDir,
  providers: [provider],
  only,
  timeLimitMs: 600_000,
  memoryLimitMb: 16_384,
  ...(values.threads ? { threads: Number(values.threads) } : {}),
  onSeries: (r, done, total) => process.stderr.write(`\r${done}/${total} ${r.name}${r.error ? ` FAILED ${r.error.code}` : ''}          `),
})
const wallS = (performance.now() - started) / 1000
process.stderr.write('\n')

const ok = run.series.filter((s): s is SeriesPrediction & { timings: NonNullable<SeriesPrediction['timings']> } => !!s.timings)
const failed = run.series.filter((s) => s.error)
const sum = (f: (t: (typeof ok)[number]['timings']) => number) => ok.reduce((a, s) => a + f(s.timings), 0)
const total = sum((t) => t.total)
const onnx = sum((t) => t.onnx)
const stages = {
  onnx,
  read: sum((t) => t.read),
  resample: sum((t) => t.resample),
  normalize: sum((t) => t.normalize),
  slidingWindow: sum((t) => t.slidingWindow),
  postprocess: sum((t) => t.postprocess),
  write: sum((t) => t.write),
}
const per = ok.map((s) => s.timings.total / 1000).sort((a, b) => a - b)
const voxels = ok.reduce((a, s) => a + s.voxels, 0)

// Quality: the real scorer on every predicted mask (missing masks score as empty).
const scored = []
for (const name of only) {
  const predPath = join(outDir, `${name}.mha`)
  scored.push(
    await scoreSeriesFiles({
      name,
      truthPath: join(data, 'masks', `${name}.mha`),
      predPath: existsSync(predPath) ? predPath : null,
      profile: 'spider',
    }),
  )
}
const doc = buildResultDocument('spider', scored)
const quality = Object.fromEntries(
  [
    'DiceVertebrae',
    'DiceDiscs',
    'DiceSpinalCanal',
    'DiceOverall',
    'DetectionVertebrae',
    'DetectionDiscs',
    'ASDVertebrae',
    'ASDDiscs',
    'FalsePositiveStructures',
  ].map((k) => [k, doc.aggregates[k]?.mean ?? null]),
)

const pct = (ms: number) => `${((100 * ms) / total).toFixed(1)} %`
const result = {
  provider: run.provider,
  series: ok.length,
  failed: failed.map((s) => `${s.name}: ${s.error?.code}`),
  modelLoadS: run.loadMs / 1000,
  wallS,
  voxels,
  voxelsPerSecond: voxels / (total / 1000),
  perSeriesS: {
    mean: per.reduce((a, b) => a + b, 0) / Math.max(1, per.length),
    median: per[Math.floor(per.length / 2)] ?? null,
    max: per[per.length - 1] ?? null,
  },
  stagesS: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, v / 1000])),
  outsideOnnxShare: (total - onnx) / total,
  outsideOnnxShareExcludingRead: (total - onnx - stages.read) / (total - stages.read),
  quality,
}
console.log(
  `provider ${result.provider}; ${result.series} series (${failed.length} failed), ${(voxels / 1e6).toFixed(1)} M voxels; ` +
    `model load ${result.modelLoadS.toFixed(1)} s; wall ${wallS.toFixed(1)} s`,
)
console.log(
  `throughput ${(result.voxelsPerSecond / 1e6).toFixed(2)} M voxels/s; per series mean ${result.perSeriesS.mean.toFixed(2)} s, ` +
    `median ${result.perSeriesS.median?.toFixed(2)} s, max ${result.perSeriesS.max?.toFixed(2)} s`,
)
console.log(
  `time: ${Object.entries(stages)
    .map(([k, v]) => `${k} ${pct(v)}`)
    .join(', ')}`,
)
console.log(
  `outside onnxruntime: ${(100 * result.outsideOnnxShare).toFixed(1)} % of series time ` +
    `(${(100 * result.outsideOnnxShareExcludingRead).toFixed(1)} % without reading the image); target < 25 %`,
)
console.log(
  `quality (spider profile, mean over series): ${Object.entries(quality)
    .map(([k, v]) => `${k} ${v === null ? 'null' : (v as number).toFixed(3)}`)
    .join(', ')}`,
)
const outFile = resolve(values.out ?? `bench-out/inference-${provider}.json`)
await writeFile(outFile, `${JSON.stringify(result, null, 2)}\n`)
console.log(`wrote ${outFile}`)
