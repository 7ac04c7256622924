/** A multi-channel 3D block, channel-major then z, y, x (x fastest); `size` in ITK order (x, y, z). */
export interface Block<T extends ArrayLike<number> = Float32Array> {
  readonly size: readonly [number, number, number]
  readonly channels: number
  readonly data: T
}

export type OutputArray = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array | Uint16Array | Int16Array

export interface PatchOutput {
  readonly data: OutputArray
  readonly dims: readonly number[]
}

/**
 * Runs the model on one patch, tensor dims [1, channels, z, y, x]. The onnxruntime session
 * implements it in production; tests pass plain functions.
 */
export interface PatchModel {
  run(input: Float32Array, dims: readonly [1, number, number, number, number]): Promise<PatchOutput>
}
