/**
 * A minimal protocol-buffers wire-format writer: just enough to encode the handful of ONNX
 * messages the project builds (no Python, no protobuf dependency). Fields are written in the
 * order they are added; repeated scalars are written unpacked, which proto2 and proto3
 * parsers both accept.
 */
const WIRE_VARINT = 0
const WIRE_FIXED32 = 5
const WIRE_BYTES = 2

export class ProtoWriter {
  private readonly chunks: Uint8Array[] = []
  private length = 0

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes)
    this.length += bytes.length
  }

  private key(field: number, wire: number): void {
    this.varint((BigInt(field) << 3n) | BigInt(wire))
  }

  /** Unsigned LEB128; negative int64 values are written as their 64-bit two's complement. */
  private varint(value: bigint): void {
    let v = BigInt.asUintN(64, value)
    const out: number[] = []
    do {
      let byte = Number(v & 0x7fn)
      v >>= 7n
      if (v !== 0n) byte |= 0x80
      out.push(byte)
    } while (v !== 0n)
    this.push(Uint8Array.from(out))
  }

  int(field: number, value: number | bigint): this {
    if (typeof value === 'number' && !Number.isSafeInteger(value))
      throw new RangeError(`protobuf field ${field}: ${value} is not an integer`)
    this.key(field, WIRE_VARINT)
    this.varint(BigInt(value))
    return this
  }

  float(field: number, value: number): this {
    this.key(field, WIRE_FIXED32)
    const b = new Uint8Array(4)
    new DataView(b.buffer).setFloat32(0, value, true)
    this.push(b)
    return this
  }

  bytes(field: number, value: Uint8Array): this {
    this.key(field, WIRE_BYTES)
    this.varint(BigInt(value.length))
    this.push(value)
    return this
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value))
  }

  message(field: number, build: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter()
    build(inner)
    return this.bytes(field, inner.finish())
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length)
    let at = 0
    for (const c of this.chunks) {
      out.set(c, at)
      at += c.length
    }
    return out
  }
}
