import { describe, it, expect } from 'vitest'
import { parseCsv } from './csv.ts'

describe('parseCsv', () => {
  it('parses quoted fields, doubled quotes, CRLF and a BOM', () => {
    expect(parseCsv('\ufeffa,b,c\r\n1,"x, y","say ""hi"""\n\n2,,3')).toEqual([
      ['a', 'b', 'c'],
      ['1', 'x, y', 'say "hi"'],
      ['2', '', '3'],
    ])
  })
  it('refuses an unterminated quote', () => {
    expect(() => parseCsv('a,"b\n')).toThrow('unterminated quoted field')
  })
})
