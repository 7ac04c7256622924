import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'

/** What the demo created, so that running it again reuses it (tokens are shown once). */
export interface DemoState {
  users: Record<string, { id: string; role: string; token: string }>
  /** participant name → submission id */
  submissions: Record<string, string>
}

export async function loadDemoState(file: string): Promise<DemoState> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<DemoState>
    return { users: parsed.users ?? {}, submissions: parsed.submissions ?? {} }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { users: {}, submissions: {} }
    throw new Error(`${file}: unreadable demo state (${(err as Error).message}); delete it to start the demo afresh`)
  }
}

/** Atomic write, owner-only: the file holds API tokens. */
export async function saveDemoState(file: string, state: DemoState): Promise<void> {
  await mkdir(dirname(file), { recursive: true })
  const tmp = `${file}.${process.pid}.tmp`
  await writeFile(tmp, JSON.stringify(state, null, 2), { mode: 0o600 })
  await rename(tmp, file)
}
