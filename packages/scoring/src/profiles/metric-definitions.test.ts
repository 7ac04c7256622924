import { describe, it, expect } from 'vitest'
import { PROFILE_NAMES, profileMetrics } from './profile.ts'
import { metricDefinitions } from './metric-definitions.ts'

describe('metricDefinitions', () => {
  it('defines every metric of every profile, in its order, with its direction and unit', () => {
    for (const profile of PROFILE_NAMES) {
      const defs = metricDefinitions(profile)
      expect(defs.map((d) => [d.key, d.order])).toEqual(profileMetrics(profile).map((m) => [m.key, m.order]))
      for (const d of defs) {
        expect(d.description.length).toBeGreaterThan(20)
        expect(d.unit).toBe(
          d.key.includes('ASD') || d.key.startsWith('HD95') ? 'mm' : d.key === 'FalsePositiveStructures' ? 'structures' : '',
        )
      }
    }
  })
})
