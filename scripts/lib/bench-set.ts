/**
 * The server benchmarks' data: the realistic 97-series synthetic set of bench:score (seed 1,
 * 39 studies, one prediction set "bench" with realistic errors), generated once into
 * bench-out/score-seed1 and reused; and a smaller set made of its first N series.
 */
import { existsSync } from 'node:fs'
import { copyFile, link, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { synthesize } from '@spider-bench/synth'

export const BENCH_SET = { studies: 39, seed: 1, predictions: { bench: 'noise:0.3,fp:1,relabel' } } as const
export const BENCH_SET_DIR = 'bench-out/score-seed1'

/** The folder of the bench set (images/, masks/, overview.csv, predictions/bench/), generated when missing. */
export async function benchSet(dir: string = BENCH_SET_DIR): Promise<string> {
  const data = resolve(dir)
  if (existsSync(join(data, 'bench-complete.json')) || existsSync(join(data, 'predictions', 'bench'))) return data
  await rm(data, { recursive: true, force: true })
  const t0 = performance.now()
  const result = await synthesize({
    out: data,
    studies: BENCH_SET.studies,
    seed: BENCH_SET.seed,
    size: 'realistic',
    predictions: BENCH_SET.predictions,
    onProgress: ({ done, total }) => process.stderr.write(`\rgenerating ${done}/${total} series`),
  })
  process.stderr.write(`\rgenerated ${result.series.length} series in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`)
  await writeFile(join(data, 'bench-complete.json'), JSON.stringify({ ...BENCH_SET, series: result.series.length }))
  return data
}

/** Names of the series of a set (its masks), sorted. */
export async function seriesOf(data: string): Promise<string[]> {
  return (await readdir(join(data, 'masks'))).map((f) => f.replace(/\.(mha|nii\.gz|nii)$/, '')).sort()
}

/**
 * A set of the first `count` series of `data` (hard links to its files, copies where links
 * fail; overview.csv filtered) in `out`; `data` itself when `count` covers it.
 */
export async function seriesSubset(data: string, count: number, out: string): Promise<string> {
  const all = await seriesOf(data)
  if (count >= all.length) return data
  const keep = new Set(all.slice(0, count))
  await rm(out, { recursive: true, force: true })
  for (const sub of ['images', 'masks', 'predictions/bench']) {
    await mkdir(join(out, sub), { recursive: true })
    for (const file of await readdir(join(data, sub))) {
      const base = file.replace(/\.(mha|nii\.gz|nii)$/, '')
      if (keep.has(base))
        await link(join(data, sub, file), join(out, sub, file)).catch(() => copyFile(join(data, sub, file), join(out, sub, file)))
    }
  }
  const csv = (await readFile(join(data, 'overview.csv'), 'utf8').catch(() => '')).split('\n')
  if (csv.length > 1) {
    const column = csv[0].split(',').indexOf('series_name')
    const rows = csv.slice(1).filter((line) => line && keep.has(line.split(',')[column]))
    await writeFile(join(out, 'overview.csv'), [csv[0], ...rows].join('\n') + '\n')
  }
  return out
}
