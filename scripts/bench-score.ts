/**
 * `npm run bench:score`: builds (once, seeded) a realistic 97-series SPIDER-like set with the
 * synth package, then measures in one run:
 * - the floor: read + decompress every reference and prediction and make one pass over their
 *   voxels (one thread);
 * - scoring the same series with `scoreSeriesFiles` (one thread), per-series median, and the
 *   ratio scoring / floor;
 * - the wall time of `scoreDirectories` on all cores (what `spider-bench score` does) and its
 *   ratio to the floor;
 * - peak RSS of the process (worker threads included).
 * Options: --profile spider|spider-official, --data DIR (default bench-out/score-seed1).
 */
import { existsSync } from 'node:fs'
import { rm, writeFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { isProfileName, pairFiles, readImage, scoreDirectories, scoreSeriesFiles, type PixelArray } from '@spider-bench/scoring'
import { synthesize } from '@spider-bench/synth'

const STUDIES = 39
const SEED = 1
// Realistic errors: boundary noise, one false-positive blob, arbitrary label values.
const PREDICTION = { bench: 'noise:0.3,fp:1,relabel' }

const { values } = parseArgs({ options: { profile: { type: 'string', default: 'spider' }, data: { type: 'string' } }, strict: true })
const profile = values.profile ?? 'spider'
if (!isProfileName(profile)) throw new Error(`--profile: expected spider or spider-official, got "${profile}"`)
const data = resolve(values.data ?? `bench-out/score-seed${SEED}`)
const marker = join(data, 'bench-complete.json')

if (!existsSync(marker)) {
  await rm(data, { recursive: true, force: true })
  const t0 = performance.now()
  const result = await synthesize({
    out: data,
    studies: STUDIES,
    seed: SEED,
    size: 'realistic',
    predictions: PREDICTION,
    onProgress: ({ done, total }) => process.stderr.write(`\rgenerating ${done}/${total} series`),
  })
  process.stderr.write(`\rgenerated ${result.series.length} series in ${((performance.now() - t0) / 1000).toFixed(1)} s into ${data}\n`)
  await writeFile(marker, JSON.stringify({ studies: STUDIES, seed: SEED, predictions: PREDICTION, series: result.series.length }))
}

const truthDir = join(data, 'masks')
const predDir = join(data, 'predictions', 'bench')
const { pairs } = await pairFiles(truthDir, predDir)

// One pass over the voxels, so the floor touches every voxel like scoring does; one
// monomorphic loop per array type keeps the floor as fast as plain JavaScript allows.
function countU8(a: Uint8Array): number {
  let nonzero = 0
  for (let i = 0; i < a.length; i++) if (a[i] !== 0) nonzero++
  return nonzero
}
function countU16(a: Uint16Array): number {
  let nonzero = 0
  for (let i = 0; i < a.length; i++) if (a[i] !== 0) nonzero++
  return nonzero
}
function countAny(a: PixelArray): number {
  let nonzero = 0
  for (let i = 0; i < a.length; i++) if (a[i] !== 0) nonzero++
  return nonzero
}
const onePass = (a: PixelArray) => (a instanceof Uint8Array ? countU8(a) : a instanceof Uint16Array ? countU16(a) : countAny(a))

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

// Warm the page cache so neither measurement pays for disk reads.
for (const p of pairs) await Promise.all([readImage(p.truthPath), readImage(p.predPath ?? p.truthPath)])

// CPU time of this thread's process (the pool is idle here): robust when other work shares the cores.
const cpuMs = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

let voxels = 0
const floorTimes: number[] = []
const floorCpu0 = cpuMs()
for (const p of pairs) {
  const t = performance.now()
  const [truth, pred] = await Promise.all([readImage(p.truthPath), readImage(p.predPath ?? p.truthPath)])
  onePass(truth.data)
  onePass(pred.data)
  floorTimes.push(performance.now() - t)
  voxels += truth.data.length
}

const floorCpu = cpuMs() - floorCpu0

const scoreTimes: number[] = []
let failed = 0
const scoreCpu0 = cpuMs()
for (const p of pairs) {
  const t = performance.now()
  const r = await scoreSeriesFiles({ ...p, profile })
  scoreTimes.push(performance.now() - t)
  if (r.status !== 'scored') failed++
}

const scoreCpu = cpuMs() - scoreCpu0

const threads = availableParallelism()
const t = performance.now()
const parallel = await scoreDirectories({ truthDir, predDir, profile, threads })
const wall = performance.now() - t

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)
const floor = sum(floorTimes)
const scoring = sum(scoreTimes)
const rssMb = process.resourceUsage().maxRSS / 1024
const ms = (x: number) => `${x.toFixed(1)} ms`
console.log(
  `data: ${pairs.length} series (${(voxels / 1e6).toFixed(1)} M voxels per side), ${data}; profile ${profile}; ${failed} series failed`,
)
console.log(
  `floor (read + decompress + one pass, 1 thread):   wall ${ms(floor)} (cpu ${ms(floorCpu)}), per-series median ${ms(median(floorTimes))}`,
)
console.log(
  `scoring (scoreSeriesFiles, 1 thread):              wall ${ms(scoring)} (cpu ${ms(scoreCpu)}), ` +
    `per-series median ${ms(median(scoreTimes))}`,
)
console.log(
  `ratio scoring / floor (1 thread):                  ${(scoring / floor).toFixed(2)} wall, ${(scoreCpu / floorCpu).toFixed(2)} cpu`,
)
console.log(
  `scoring wall time, scoreDirectories on ${threads} threads: ${ms(wall)} ` +
    `(${parallel.document.series.length} series, exit code ${parallel.exitCode})`,
)
// What `spider-bench score` costs on this machine against the single-thread floor.
console.log(`ratio scoreDirectories (${threads} threads) / floor:     ${(wall / floor).toFixed(2)} wall`)
console.log(`peak RSS: ${rssMb.toFixed(0)} MB`)
