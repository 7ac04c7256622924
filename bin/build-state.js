// The production build's bookkeeping, shared by scripts/build.mjs (which writes it) and
// bin/spider-bench.js (which reads it to choose between the build and the sources): which
// workspaces are compiled, which of their files are sources, where the compiled code and the
// manifest live, and whether the build on disk matches the sources. Plain JavaScript, Node 20.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** The build's manifest: written last by a build, removed first by the next one. */
export const MANIFEST = join(ROOT, 'dist', 'build.json')

/** Files that shape the build besides the sources: a change there also makes it stale. */
const BUILD_INPUTS = ['scripts/build.mjs', 'bin/build-state.js']

/**
 * The compiled workspaces (packages/* and apps/* with `exports`; apps/web has its own Vite
 * build): name, folder relative to ROOT, and its `exports` map (subpath → ./src/*.ts).
 */
export function workspaces(root = ROOT) {
  const out = []
  for (const top of ['packages', 'apps']) {
    for (const name of readdirSync(join(root, top)).sort()) {
      const file = join(root, top, name, 'package.json')
      if (!existsSync(file)) continue
      const pkg = JSON.parse(readFileSync(file, 'utf8'))
      if (pkg.exports) out.push({ name: pkg.name, dir: `${top}/${name}`, exports: pkg.exports })
    }
  }
  return out
}

/** Whether a file under a workspace's src/ is compiled: TypeScript, not a test, fixture or declaration. */
export const isSource = (file) => file.endsWith('.ts') && !/\.(test|fixture|d)\.ts$/.test(file)

/** The sources of every compiled workspace, as paths relative to ROOT with "/" separators. */
export function sourceFiles(root = ROOT, list = workspaces(root)) {
  const out = []
  for (const ws of list) {
    const src = join(root, ws.dir, 'src')
    if (!existsSync(src)) continue
    for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !isSource(entry.name)) continue
      // Node 20.11's recursive readdir names the folder in `path` (`parentPath` from 20.12).
      out.push(
        relative(root, join(entry.parentPath ?? entry.path, entry.name))
          .split(sep)
          .join('/'),
      )
    }
  }
  return out.sort()
}

/** `packages/x/src/a/b.ts` → `packages/x/dist/a/b.js`. */
export const compiledPath = (source) => source.replace(/^((?:packages|apps)\/[^/]+)\/src\//, '$1/dist/').replace(/\.ts$/, '.js')

function readManifest() {
  try {
    return JSON.parse(readFileSync(MANIFEST, 'utf8'))
  } catch {
    return null
  }
}

/**
 * Whether the build on disk can run: `present` (a complete build: its manifest exists) and
 * `fresh` (every source and build input is older than the build's start, and the set of sources
 * is the one it compiled); `reason` says why not. Without `checkSources` (or when the sources are
 * not there, as in an image that ships only the build) a present build counts as fresh.
 */
export function buildState({ checkSources = true } = {}) {
  const manifest = readManifest()
  if (!manifest) return { present: false, fresh: false, reason: 'there is no compiled build (dist/build.json is missing)' }
  const list = workspaces()
  if (!checkSources || !list.some((ws) => existsSync(join(ROOT, ws.dir, 'src')))) return { present: true, fresh: true, reason: '' }
  const sources = sourceFiles(ROOT, list)
  const built = new Set(manifest.sources)
  const added = sources.find((f) => !built.has(f))
  if (added) return { present: true, fresh: false, reason: `${added} is not in the build` }
  if (sources.length !== built.size) return { present: true, fresh: false, reason: 'a source in the build was removed' }
  const inputs = [...sources, ...list.map((ws) => `${ws.dir}/package.json`), ...BUILD_INPUTS]
  for (const file of inputs) {
    let mtime
    try {
      mtime = statSync(join(ROOT, file)).mtimeMs
    } catch {
      continue // a build input absent from this installation (e.g. scripts/ in an image)
    }
    if (mtime > manifest.startedAt) return { present: true, fresh: false, reason: `${file} changed after the build` }
  }
  return { present: true, fresh: true, reason: '' }
}
