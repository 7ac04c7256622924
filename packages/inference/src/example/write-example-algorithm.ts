import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { validateAlgorithm } from '../validate-algorithm.ts'
import { EXAMPLE_CONFIG } from './example-config.ts'
import { trainExampleModel, type ExampleTrainingOptions } from './train-example.ts'

export interface ExampleAlgorithmFiles {
  readonly modelPath: string
  readonly configPath: string
  readonly modelBytes: number
}

/**
 * Trains the example algorithm and writes `out/model.onnx` and `out/config.json`; the pair
 * is checked with the same validation an upload goes through before it is reported written.
 */
export async function writeExampleAlgorithm(out: string, options: ExampleTrainingOptions = {}): Promise<ExampleAlgorithmFiles> {
  const { model } = await trainExampleModel(options)
  await validateAlgorithm(model, EXAMPLE_CONFIG)
  await mkdir(out, { recursive: true })
  const modelPath = join(out, 'model.onnx')
  const configPath = join(out, 'config.json')
  await writeFile(modelPath, model)
  await writeFile(configPath, `${JSON.stringify(EXAMPLE_CONFIG, null, 2)}\n`)
  return { modelPath, configPath, modelBytes: model.length }
}
