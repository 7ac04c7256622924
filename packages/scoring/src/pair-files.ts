import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { imageBaseName } from './image/read.ts'
import { ImageError } from './image/types.ts'

/** Image files of a folder keyed by base name (any supported extension). */
export async function listImages(dir: string, what: string): Promise<Map<string, string>> {
  let entries
  try {
    if (!(await stat(dir)).isDirectory()) throw new ImageError(dir, `${what} folder is not a folder`)
    entries = await readdir(dir, { withFileTypes: true })
  } catch (err) {
    if (err instanceof ImageError) throw err
    throw new ImageError(dir, `cannot read the ${what} folder (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`)
  }
  const images = new Map<string, string>()
  for (const entry of entries.filter((e) => e.isFile() || e.isSymbolicLink()).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const base = imageBaseName(entry.name)
    if (base === null) continue
    const previous = images.get(base)
    if (previous) throw new ImageError(dir, `two ${what} images for series "${base}": ${previous.slice(dir.length + 1)} and ${entry.name}`)
    images.set(base, join(dir, entry.name))
  }
  return images
}

export interface SeriesPair {
  readonly name: string
  readonly truthPath: string
  readonly predPath: string | null
}

/** Pairs reference and prediction files by base name; predictions without a reference are returned apart. */
export async function pairFiles(truthDir: string, predDir: string): Promise<{ pairs: SeriesPair[]; extraPredictions: string[] }> {
  const truth = await listImages(truthDir, 'reference')
  if (truth.size === 0)
    throw new ImageError(truthDir, 'no reference masks in the folder (expected .mha, .mhd, .nii, .nii.gz, .nrrd or .nhdr files)')
  const pred = await listImages(predDir, 'prediction')
  const pairs = [...truth].map(([name, truthPath]) => ({ name, truthPath, predPath: pred.get(name) ?? null }))
  const extraPredictions = [...pred.keys()].filter((name) => !truth.has(name))
  return { pairs, extraPredictions }
}
