/**
 * A minimal protocol-buffers wire-format reader: a cursor over the fields of one message,
 * without allocation per field (a model may hold millions of unpacked values). It checks the
 * framing strictly: a truncated varint or length, a length past the end of its message, a
 * field number 0, or a wire type other than varint, fixed64, length-delimited and fixed32
 * (ONNX uses no groups) is a `ProtoFormatError` naming the byte offset.
 */
export const WIRE = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const

export class ProtoFormatError extends Error {
  override name = 'ProtoFormatError'
}

export class ProtoReader {
  private pos: number
  /** Field number of the current field. */
  field = 0
  /** Wire type of the current field. */
  wire = 0
  /** A varint field's value (exact up to 2^53; larger values stay non-zero). */
  value = 0
  /** A length-delimited field's payload: [start, end) in `buf`. */
  start = 0
  end = 0

  constructor(
    readonly buf: Uint8Array,
    private readonly from = 0,
    private readonly until = buf.length,
  ) {
    this.pos = from
  }

  /** A fresh reader over the same message, from its first field. */
  again(): ProtoReader {
    return new ProtoReader(this.buf, this.from, this.until)
  }

  /** A reader over the payload of the current length-delimited field. */
  sub(): ProtoReader {
    return new ProtoReader(this.buf, this.start, this.end)
  }

  /** The current length-delimited field as UTF-8 text. */
  text(): string {
    return new TextDecoder().decode(this.buf.subarray(this.start, this.end))
  }

  /** Moves to the next field; false at the end of the message. */
  next(): boolean {
    if (this.pos >= this.until) return false
    const at = this.pos
    const key = this.varint()
    this.field = Math.floor(key / 8)
    this.wire = key % 8
    if (this.field === 0) throw new ProtoFormatError(`field number 0 at byte ${at}`)
    switch (this.wire) {
      case WIRE.varint:
        this.value = this.varint()
        break
      case WIRE.fixed64:
        this.skip(8, at)
        break
      case WIRE.fixed32:
        this.skip(4, at)
        break
      case WIRE.bytes: {
        const length = this.varint()
        if (length > this.until - this.pos)
          throw new ProtoFormatError(
            `field ${this.field} at byte ${at} declares ${length} bytes but its message has ${this.until - this.pos} left`,
          )
        this.start = this.pos
        this.end = this.pos + length
        this.pos = this.end
        break
      }
      default:
        throw new ProtoFormatError(`field ${this.field} at byte ${at} has wire type ${this.wire}, which ONNX does not use`)
    }
    return true
  }

  private skip(bytes: number, at: number): void {
    if (this.pos + bytes > this.until) throw new ProtoFormatError(`field ${this.field} at byte ${at} is truncated`)
    this.pos += bytes
  }

  /** Unsigned LEB128 of at most 10 bytes, as a number (lossy above 2^53, but never 0 when any bit is set). */
  private varint(): number {
    let value = 0
    let scale = 1
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.until) throw new ProtoFormatError(`truncated varint at byte ${this.pos}`)
      const byte = this.buf[this.pos++]
      value += (byte & 0x7f) * scale
      if ((byte & 0x80) === 0) return value
      scale *= 128
    }
    throw new ProtoFormatError(`varint longer than 10 bytes at byte ${this.pos - 10}`)
  }
}
