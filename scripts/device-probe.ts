/**
 * `node bin/run-ts.js scripts/device-probe.ts cuda|webgpu|cpu`: creates an onnxruntime
 * session with that execution provider alone (no fallback) on a small conv model and runs one
 * patch; exits 1 with onnxruntime's reason when the provider is unavailable.
 */
import * as ort from 'onnxruntime-node'
import { EXECUTION_PROVIDERS, openSession, type ExecutionProvider } from '@spider-bench/inference'
import { fastModel } from '@spider-bench/inference/testing'

const provider = process.argv[2] as ExecutionProvider
if (!EXECUTION_PROVIDERS.includes(provider)) {
  console.error(`usage: device-probe ${EXECUTION_PROVIDERS.join('|')}`)
  process.exit(1)
}
console.log(
  `onnxruntime-node backends: ${ort
    .listSupportedBackends?.()
    .map((b) => `${b.name}${b.bundled ? '' : ' (not bundled)'}`)
    .join(', ')}`,
)
try {
  const { session } = await openSession(fastModel(), { providers: [provider] })
  const out = await session.run({ x: new ort.Tensor('float32', new Float32Array(16 ** 3), [1, 1, 16, 16, 16]) })
  console.log(`${provider}: session created, one patch run, output dims [${out.y.dims.join(', ')}]`)
} catch (err) {
  console.error(`${provider}: ${(err as Error).message}`)
  process.exit(1)
}
