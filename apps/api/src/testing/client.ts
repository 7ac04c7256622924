import { openAsBlob } from 'node:fs'
import { join } from 'node:path'
import { writeTarGz, writeZip, type TestEntry } from './archives.ts'

/** Small HTTP helpers over fetch for the integration tests. */
export function apiClient(baseUrl: string, workDir: string) {
  const auth = (token?: string): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {})
  let n = 0
  return {
    json(token: string | undefined, method: string, path: string, body?: unknown) {
      return fetch(`${baseUrl}${path}`, {
        method,
        headers: { ...auth(token), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      })
    },
    /** Writes an archive of entries and returns it as a Blob streamed from disk. */
    async archive(entries: TestEntry[], format: 'zip' | 'tar.gz' = 'zip'): Promise<Blob> {
      const file = join(workDir, `archive-${n++}.${format}`)
      await (format === 'zip' ? writeZip : writeTarGz)(file, entries)
      return openAsBlob(file)
    },
    multipart(token: string | undefined, method: string, path: string, parts: Record<string, string | Blob>) {
      const form = new FormData()
      for (const [name, value] of Object.entries(parts)) {
        if (typeof value === 'string') form.append(name, value)
        else form.append(name, value, name === 'predictions' || name === 'archive' ? `${name}.zip` : name)
      }
      return fetch(`${baseUrl}${path}`, { method, headers: auth(token), body: form })
    },
  }
}

export const PHASE_BODY = {
  slug: 'final',
  title: 'Final',
  scoringProfile: 'spider',
  submissionKinds: ['predictions'],
  ranking: { method: 'mean-position', metrics: [{ key: 'DiceVertebrae', order: 'desc' }] },
  entries: 'best',
  submissionLimit: { count: 5, periodHours: 24 },
  perSeriesVisibility: 'owner',
} as const
