import { readdir } from 'node:fs/promises'
import { extname, join, relative, sep } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'

const ROUTES_DIR = fileURLToPath(new URL('.', import.meta.url))
/** Route modules are .ts files in the sources, .js files in the build (scripts/build.mjs). */
const EXT = extname(fileURLToPath(import.meta.url))

async function routeFiles(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, e.name)
    if (e.isDirectory()) out.push(...(await routeFiles(full)))
    else if (
      e.isFile() &&
      e.name.endsWith(EXT) &&
      !e.name.endsWith(`.test${EXT}`) &&
      !e.name.endsWith('.d.ts') &&
      full !== fileURLToPath(import.meta.url)
    ) {
      out.push(full)
    }
  }
  return out.sort()
}

/**
 * Registers every route module under routes/ (like @fastify/autoload): a file's folder is
 * its URL prefix (`routes/api/v1/challenges.ts` → `/api/v1`), its default export a plugin.
 * Adding a route file is enough to serve it; nothing else needs editing.
 */
export default async function autoloadRoutes(app: FastifyInstance): Promise<void> {
  for (const file of await routeFiles(ROUTES_DIR)) {
    const mod = (await import(pathToFileURL(file).href)) as { default?: FastifyPluginAsync }
    if (typeof mod.default !== 'function') throw new Error(`route module ${file} has no default-exported plugin`)
    const folder = relative(ROUTES_DIR, join(file, '..')).split(sep).filter(Boolean).join('/')
    await app.register(mod.default, { prefix: folder ? `/${folder}` : '' })
  }
}
