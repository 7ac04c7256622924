import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { EXAMPLE_CONFIG } from '@spider-bench/inference/example'
import { startHarness, type Harness } from '../../../testing/harness.ts'

describe('GET /api/v1/schemas/algorithm-config (pglite)', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness('pglite')
  })
  afterAll(async () => {
    await h?.close()
  })

  it('serves the algorithm config JSON Schema to anyone, documenting every top-level field', async () => {
    const res = await fetch(`${h.url}/api/v1/schemas/algorithm-config`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/schema+json; charset=utf-8')
    const schema = (await res.json()) as {
      $schema: string
      $id: string
      type: string
      required: string[]
      properties: Record<string, unknown>
      additionalProperties: boolean
    }
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#')
    expect(schema.$id).toBe('AlgorithmConfig')
    expect(schema.type).toBe('object')
    expect(schema.additionalProperties).toBe(false)
    expect(Object.keys(schema.properties).sort()).toEqual([
      'executionProviders',
      'input',
      'mirroring',
      'name',
      'normalization',
      'output',
      'postprocessing',
      'schemaVersion',
      'slidingWindow',
    ])
    expect(schema.required.sort()).toEqual(['input', 'normalization', 'output', 'schemaVersion', 'slidingWindow'])
    // The example algorithm's config uses only documented fields.
    for (const key of Object.keys(EXAMPLE_CONFIG)) expect(schema.properties).toHaveProperty(key)
    const doc = (await (await fetch(`${h.url}/docs/json`)).json()) as { paths: Record<string, unknown> }
    expect(Object.keys(doc.paths)).toContain('/api/v1/schemas/algorithm-config')
  })
})
