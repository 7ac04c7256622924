/** Pixel buffers the project reads and writes (scalar images only). */
export type PixelArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array

export const COMPONENT_TYPES = ['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'float32', 'float64'] as const
export type ComponentType = (typeof COMPONENT_TYPES)[number]

/** The typed-array constructor of each component type. */
export const PIXEL_ARRAYS = {
  uint8: Uint8Array,
  int8: Int8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  uint32: Uint32Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
} as const satisfies Record<ComponentType, unknown>

/**
 * A 3D scalar image as plain data, in ITK conventions: `size`, `spacing` and `origin` are
 * (x, y, z) with x the fastest-varying axis in `data`; `direction` is the 3x3 direction
 * matrix in row-major order (row r, column c at index 3r + c), column c being axis c's
 * direction cosine.
 */
export interface Image3D {
  readonly size: readonly [number, number, number]
  readonly spacing: readonly [number, number, number]
  readonly origin: readonly [number, number, number]
  readonly direction: readonly number[]
  readonly componentType: ComponentType
  readonly data: PixelArray
}

/** An input problem with a file: the message names the file and what is wrong. */
export class ImageError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`)
    this.name = 'ImageError'
  }
}
