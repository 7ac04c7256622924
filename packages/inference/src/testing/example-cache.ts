import { createHash } from 'node:crypto'
import { access, readdir, readFile, rename, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { writeExampleAlgorithm } from '../example/write-example-algorithm.ts'

const SRC = dirname(dirname(fileURLToPath(import.meta.url)))

/** Folders whose code determines the model bytes (training data, features, encoding). */
const MODEL_SOURCES = ['example', 'onnx', 'preprocess']

/** Hash of the sources that build the model: a change there rebuilds the cache. */
async function sourceHash(): Promise<string> {
  const hash = createHash('sha256')
  const files = (await readdir(SRC, { recursive: true }))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && MODEL_SOURCES.some((d) => f.startsWith(`${d}/`)))
    .sort()
  for (const f of files) hash.update(f).update(await readFile(join(SRC, f)))
  // The initial weights' random numbers.
  hash
    .update('@spider-bench/random')
    .update(await readFile(join(dirname(fileURLToPath(import.meta.resolve('@spider-bench/random'))), 'prng.ts')))
  return hash.digest('hex').slice(0, 16)
}

/**
 * The example algorithm for tests and benchmarks, trained once per source version and kept
 * in the OS temp folder (training takes minutes on a small machine).
 */
export async function cachedExampleAlgorithm(log?: (m: string) => void): Promise<{ modelPath: string; configPath: string }> {
  const dir = join(tmpdir(), `spider-bench-example-${await sourceHash()}`)
  const files = { modelPath: join(dir, 'model.onnx'), configPath: join(dir, 'config.json') }
  try {
    await access(files.configPath)
    return files
  } catch {
    // Build into a private folder, then rename: concurrent test files never see half a model.
    const tmp = `${dir}.${process.pid}.${Date.now()}`
    await writeExampleAlgorithm(tmp, { onProgress: log })
    try {
      await rename(tmp, dir)
    } catch {
      await rm(tmp, { recursive: true, force: true })
    }
    return files
  }
}
