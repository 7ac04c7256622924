import { readFile } from 'node:fs/promises'

/**
 * Resident memory of a process in MiB from /proc/<pid>/status (Linux), or null where /proc is
 * unavailable. Resident memory counts onnxruntime's native buffers, which the V8 heap limit
 * (--max-old-space-size) does not see.
 */
export async function residentMemoryMb(pid: number): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8')
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)
    return m ? Number(m[1]) / 1024 : null
  } catch {
    return null
  }
}
