import { readdir, readFile, stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { ImageError, imageBaseName, IMAGE_EXTENSIONS, readImage, validateLabelImage } from '@spider-bench/scoring'
import type { PublicSeries } from './documents.ts'

export interface PredictionsCheck {
  /** Image files to pack, relative to the folder. */
  readonly files: string[]
  /** Files that are not images: left out of the upload. */
  readonly ignored: string[]
  /** Every problem found; empty when the folder may be uploaded. */
  readonly problems: string[]
}

async function walk(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(join(dir, rel), { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue
    const path = rel ? `${rel}/${e.name}` : e.name
    if (e.isDirectory()) out.push(...(await walk(dir, path)))
    else if (e.isFile()) out.push(path)
  }
  return out.sort()
}

/**
 * What can be checked without hidden data, as the server checks it: every image readable, a
 * label image (integers >= 0), one file per series name; when the phase publishes its series,
 * no unknown name, none missing, and each with the series' voxel grid size.
 */
export async function checkPredictions(
  dir: string,
  expected: readonly PublicSeries[] | null,
  onFile?: (done: number, total: number) => void,
  listOnly = false,
): Promise<PredictionsCheck> {
  let all: string[]
  try {
    if (!(await stat(dir)).isDirectory()) return { files: [], ignored: [], problems: [`${dir}: not a folder`] }
    all = await walk(dir)
  } catch (err) {
    return {
      files: [],
      ignored: [],
      problems: [`${dir}: cannot read the folder (${(err as { code?: string }).code ?? (err as Error).message})`],
    }
  }
  const ignored = all.filter((path) => !imageBaseName(basename(path)))
  const images = all.filter((path) => imageBaseName(basename(path)))
  // Only the list of image files to pack (--skip-checks): the server checks them all.
  if (listOnly) return { files: images, ignored, problems: [] }
  const problems: string[] = []
  const byName = new Map<string, string>()
  const files: string[] = []
  for (const path of images) {
    const name = imageBaseName(basename(path)) as string
    const prior = byName.get(name)
    if (prior) {
      problems.push(`${path}: series "${name}" already has a prediction (${prior})`)
      continue
    }
    byName.set(name, path)
    files.push(path)
  }
  if (files.length === 0) problems.push(`${dir}: no image files (expected one mask per test series: ${IMAGE_EXTENSIONS.join(', ')})`)
  const sizes = expected ? new Map(expected.map((s) => [s.name, s.size])) : null
  if (sizes) {
    for (const [name, path] of byName)
      if (!sizes.has(name)) problems.push(`${path}: unexpected file (the test set has no series "${name}")`)
    for (const name of sizes.keys()) if (!byName.has(name)) problems.push(`missing prediction for series "${name}"`)
  }
  for (const [i, path] of files.entries()) {
    try {
      const image = await readImage(join(dir, path))
      validateLabelImage(image, path)
      const size = sizes?.get(imageBaseName(basename(path)) ?? '')
      if (size && image.size.some((v, a) => v !== size[a])) {
        problems.push(
          `${path}: size ${image.size.join('x')} ` +
            `differs from the size of test series "${imageBaseName(basename(path))}" (${size.join('x')})`,
        )
      }
    } catch (err) {
      if (!(err instanceof ImageError)) throw err
      // Messages name the participant's path, relative to the folder.
      problems.push(`${path}: ${err.problem}`)
    }
    onFile?.(i + 1, files.length)
  }
  return { files, ignored, problems }
}

/**
 * An algorithm's config against the schema, and its model loaded with onnxruntime and its
 * inputs and outputs compared with the config: the server's own upload validation, run here.
 */
export async function checkAlgorithm(model: string, config: string): Promise<string[]> {
  const problems: string[] = []
  let configText = ''
  for (const [file, what] of [
    [model, 'model'],
    [config, 'config'],
  ] as const) {
    try {
      const info = await stat(file)
      if (!info.isFile()) problems.push(`${file}: not a file (the ${what})`)
      else if (info.size === 0) problems.push(`${file}: empty file (the ${what})`)
      else if (what === 'config') configText = await readFile(file, 'utf8')
    } catch (err) {
      problems.push(`${file}: cannot read the ${what} (${(err as { code?: string }).code ?? (err as Error).message})`)
    }
  }
  if (problems.length > 0) return problems
  const { AlgorithmValidationError, parseAlgorithmConfigText, validateAlgorithm } = await import('@spider-bench/inference')
  try {
    const parsed = parseAlgorithmConfigText(configText, basename(config))
    await validateAlgorithm(model, parsed, basename(model))
  } catch (err) {
    if (!(err instanceof AlgorithmValidationError)) throw err
    problems.push(err.message)
  }
  return problems
}
