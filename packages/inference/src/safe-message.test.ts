import { describe, expect, it } from 'vitest'
import { safeErrorText } from './safe-message.ts'

describe('safeErrorText', () => {
  it('replaces absolute paths (POSIX, Windows, home, file: URLs) and keeps the rest', () => {
    expect(
      safeErrorText(
        `Load model from /srv/spider/data/tmp/abc/model.onnx failed: External data path does not exist: "/srv/spider/data/db/base/1"`,
      ),
    ).toBe('Load model from <path> failed: External data path does not exist: "<path>"')
    expect(safeErrorText('Status Message: /onnxruntime_src/core/reshape_helper.h:40 bad shape')).toBe('Status Message: <path> bad shape')
    expect(safeErrorText(`open 'C:\\spider\\data\\x.bin' (~/secrets/y) file:///etc/passwd`)).toBe(`open '<path>' (<path>) <path>`)
    expect(safeErrorText('input/output names: x and y; 3/4 done')).toBe('input/output names: x and y; 3/4 done')
  })

  it('collapses runs of more than 8 numbers (value dumps) and keeps short shapes', () => {
    expect(safeErrorText('Input shape:{1,1,8,8,8}, requested shape:{84,79,80,83,69,67,82,69,84}')).toBe(
      'Input shape:{1,1,8,8,8}, requested shape:{<9 values>}',
    )
    expect(safeErrorText('values 0.5 1e-3 -2 4 5 6 7 8 9 10 end')).toBe('values <10 values> end')
  })

  it('drops control characters and ANSI colours, joins lines and caps the length', () => {
    expect(safeErrorText('\u001b[1;31merror\u001b[m\u0000 here\nsecond line\n')).toBe('error here | second line')
    const long = safeErrorText('x'.repeat(1000))
    expect(long).toHaveLength(400)
    expect(long.endsWith('…')).toBe(true)
    expect(safeErrorText('y'.repeat(100), 50)).toHaveLength(50)
  })
})
