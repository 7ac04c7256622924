import { Type } from '@sinclair/typebox'

/** The answer to a test-set (or sanity-set) import, streamed or direct. */
export const TestSetImportSchema = Type.Object({
  version: Type.Integer(),
  count: Type.Integer(),
  series: Type.Array(Type.Object({ name: Type.String(), sequence: Type.String() })),
})
