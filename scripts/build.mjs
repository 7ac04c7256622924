#!/usr/bin/env node
// The production build (`npm run build`, also run by postinstall): compiles every workspace's
// src/*.ts (tests and fixtures excepted) into its dist/*.js, one JavaScript module per source
// module, so that file-relative paths (thread bodies, the model process, routes/, prisma/
// migrations, apps/web/dist) hold in the build as in the sources. TypeScript's own transpiler
// does the work, file by file (the types are checked by `npm run typecheck`, not here):
// relative imports of ./x.ts become ./x.js, and imports of the workspaces (@spider-bench/db,
// @spider-bench/inference/sandbox, ...) become relative paths to their compiled modules, so the
// build runs with plain `node` while package.json `exports` keep pointing at the sources for
// the tests, the type checker and tsx. dist/build.json, written last, lists what was compiled;
// bin/spider-bench.js runs the build only when that list and the sources' times still match.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, posix, relative } from 'node:path'
import { MANIFEST, ROOT, compiledPath, sourceFiles, workspaces } from '../bin/build-state.js'

let ts
try {
  ts = (await import('typescript')).default
} catch {
  console.warn('build: TypeScript is not installed (dev dependencies omitted?); nothing compiled, the sources run through tsx')
  process.exit(0)
}

const startedAt = Date.now()
const list = workspaces()
const byName = new Map(list.map((ws) => [ws.name, ws]))

/** `@spider-bench/x[/sub]` → the compiled module it names (a path relative to ROOT), or null. */
function workspaceTarget(specifier) {
  const m = /^(@spider-bench\/[^/]+)(\/.*)?$/.exec(specifier)
  const ws = m && byName.get(m[1])
  if (!ws) return null
  const target = typeof ws.exports === 'string' ? (m[2] ? undefined : ws.exports) : ws.exports[`.${m[2] ?? ''}`]
  if (typeof target !== 'string' || !target.startsWith('./src/') || !target.endsWith('.ts'))
    throw new Error(`${specifier}: not a TypeScript source export of ${ws.dir}/package.json`)
  return compiledPath(posix.join(ws.dir, target))
}

/** An `after` transformer: the workspaces' bare specifiers in import/export and import() become relative paths. */
const rewriteWorkspaceImports = (outFile) => (context) => {
  const { factory } = context
  const replace = (literal) => {
    const target = ts.isStringLiteralLike(literal) ? workspaceTarget(literal.text) : null
    if (!target) return literal
    const path = relative(dirname(outFile), join(ROOT, target)).split('\\').join('/')
    return factory.createStringLiteral(path.startsWith('.') ? path : `./${path}`)
  }
  const visit = (node) => {
    if (ts.isImportDeclaration(node) && node.moduleSpecifier)
      return factory.updateImportDeclaration(node, node.modifiers, node.importClause, replace(node.moduleSpecifier), node.attributes)
    if (ts.isExportDeclaration(node) && node.moduleSpecifier)
      return factory.updateExportDeclaration(
        node,
        node.modifiers,
        node.isTypeOnly,
        node.exportClause,
        replace(node.moduleSpecifier),
        node.attributes,
      )
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments.length > 0) {
      const [first, ...rest] = node.arguments
      return factory.updateCallExpression(node, node.expression, node.typeArguments, [
        replace(first),
        ...rest.map((a) => ts.visitNode(a, visit)),
      ])
    }
    return ts.visitEachChild(node, visit, context)
  }
  return (file) => ts.visitNode(file, visit)
}

const compilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  verbatimModuleSyntax: true,
  isolatedModules: true,
  rewriteRelativeImportExtensions: true,
  useDefineForClassFields: true,
  sourceMap: false,
  removeComments: true,
}

// Emit into dist.tmp/ next to each dist/, then swap: a build never leaves half a dist/ behind.
rmSync(MANIFEST, { force: true })
const tmp = (ws) => join(ROOT, ws.dir, 'dist.tmp')
for (const ws of list) rmSync(tmp(ws), { recursive: true, force: true })
const sources = sourceFiles(ROOT, list)
let failed = 0
for (const source of sources) {
  const built = compiledPath(source)
  const wsDir = source.split('/').slice(0, 2).join('/')
  const outFile = join(ROOT, wsDir, 'dist.tmp', built.slice(wsDir.length + '/dist/'.length))
  const { outputText, diagnostics } = ts.transpileModule(readFileSync(join(ROOT, source), 'utf8'), {
    fileName: join(ROOT, source),
    compilerOptions,
    reportDiagnostics: true,
    transformers: { after: [rewriteWorkspaceImports(join(ROOT, built))] },
  })
  for (const d of diagnostics ?? []) {
    failed++
    console.error(`${source}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`)
  }
  mkdirSync(dirname(outFile), { recursive: true })
  writeFileSync(outFile, outputText)
}
if (failed > 0) {
  for (const ws of list) rmSync(tmp(ws), { recursive: true, force: true })
  console.error(`build: ${failed} error(s); nothing replaced`)
  process.exit(1)
}
for (const ws of list) {
  const dist = join(ROOT, ws.dir, 'dist')
  if (!existsSync(tmp(ws))) continue // no sources
  rmSync(`${dist}.old`, { recursive: true, force: true })
  try {
    renameSync(dist, `${dist}.old`)
  } catch {
    // no previous build
  }
  renameSync(tmp(ws), dist)
  rmSync(`${dist}.old`, { recursive: true, force: true })
}
mkdirSync(dirname(MANIFEST), { recursive: true })
writeFileSync(MANIFEST, `${JSON.stringify({ startedAt, node: process.version, sources }, null, 2)}\n`)
console.log(`build: ${sources.length} modules of ${list.length} workspaces compiled into */dist in ${Date.now() - startedAt} ms`)
