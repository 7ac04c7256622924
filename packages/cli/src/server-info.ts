import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * `DATA_DIR/server.json`: where a running `serve` with the embedded database listens. The
 * database is that process's alone, so commands that need it while it runs (`users create`)
 * go through its API instead, and find it here.
 */
export interface ServerInfo {
  readonly url: string
  readonly pid: number
  readonly startedAt: string
}

export const serverInfoPath = (dataDir: string) => join(dataDir, 'server.json')

/** A URL other processes on this machine can reach: a wildcard host becomes the loopback address. */
export function reachableUrl(url: string): string {
  const u = new URL(url)
  if (u.hostname === '0.0.0.0') u.hostname = '127.0.0.1'
  if (u.hostname === '[::]') u.hostname = '[::1]'
  return u.origin
}

export async function writeServerInfo(dataDir: string, url: string): Promise<void> {
  const info: ServerInfo = { url: reachableUrl(url), pid: process.pid, startedAt: new Date().toISOString() }
  await writeFile(serverInfoPath(dataDir), `${JSON.stringify(info, null, 2)}\n`)
}

export async function removeServerInfo(dataDir: string): Promise<void> {
  const info = await readServerInfo(dataDir)
  if (info?.pid === process.pid) await rm(serverInfoPath(dataDir), { force: true })
}

/** The running server's info, or null when there is none (or its process is gone). */
export async function readServerInfo(dataDir: string): Promise<ServerInfo | null> {
  let info: Partial<ServerInfo>
  try {
    info = JSON.parse(await readFile(serverInfoPath(dataDir), 'utf8')) as Partial<ServerInfo>
  } catch {
    return null
  }
  if (typeof info.url !== 'string' || typeof info.pid !== 'number') return null
  try {
    process.kill(info.pid, 0)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return null
  }
  return { url: info.url, pid: info.pid, startedAt: String(info.startedAt ?? '') }
}
