import { readdir, readFile } from 'node:fs/promises'

export interface ModelProcess {
  readonly pid: number
  /** The command line, arguments joined by spaces. */
  readonly cmdline: string
}

/** Children of `parent` that run the model process's entry (runner/child-main), read from /proc. */
export async function modelProcessesOf(parent: number): Promise<ModelProcess[]> {
  const found: ModelProcess[] = []
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8')
      // The parent pid is the second field after the command name in parentheses (which may hold spaces).
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== parent) continue
      const cmdline = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0').join(' ')
      if (cmdline.includes('child-main')) found.push({ pid: Number(entry), cmdline })
    } catch {
      // the process ended while we looked
    }
  }
  return found
}

/** Whether a process with this pid exists (signal 0 checks without signalling). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
