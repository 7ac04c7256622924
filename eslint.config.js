import js from '@eslint/js'
import tseslint from 'typescript-eslint'

/*
 * Dependency rule (README, "Architecture"): apps (apps/api, apps/worker, apps/web) depend on
 * packages, never on each other; packages never depend on apps, except the CLI's composition
 * root (packages/cli/src/server.ts and commands/worker.ts start the API and the workers);
 * packages/scoring and packages/leaderboard are pure cores: no I/O modules, no package with
 * I/O (only scoring's image files read and write files); packages/random has no imports;
 * the model runner (packages/inference outside example/) never loads the generator.
 * Enforced below for static imports (no-restricted-imports) and import() (no-restricted-syntax);
 * scoring starts threads only through @spider-bench/threads (no I/O of its own).
 */
const APPS = ['api', 'worker', 'web']
const app = (name) => ({
  regex: `^@spider-bench/${name}(/|$)`,
  message: `apps/${name} is an app: import what you need from a package (packages/*), never from an app`,
})
const appPaths = (name) => ({
  regex: `^(\\.\\./)+(apps/)?${name}/src(/|$)`,
  message: `reaches into apps/${name}: import a package instead`,
})
const otherApps = (self) => APPS.filter((a) => a !== self).flatMap((a) => [app(a), appPaths(a)])
const allApps = APPS.flatMap((a) => [
  app(a),
  { regex: `^(\\.\\./)+apps/${a}(/|$)`, message: `reaches into apps/${a}: packages never depend on apps` },
])

/** Node modules that do I/O (files, network, processes, threads). */
const IO_NODE = [
  'fs',
  'fs/promises',
  'net',
  'http',
  'https',
  'http2',
  'child_process',
  'cluster',
  'dgram',
  'dns',
  'dns/promises',
  'tls',
  'readline',
  'repl',
  'inspector',
  'worker_threads',
  'os',
  'zlib',
]
const ioNode = (allowed = []) => {
  const names = IO_NODE.filter((m) => !allowed.includes(m))
  return { regex: `^(node:)?(${names.join('|')})$`, message: 'a pure core does no I/O: no file, network, process or thread module here' }
}
/** Packages that do I/O (databases, queues, HTTP, files, processes). */
const IO_PACKAGES = {
  regex:
    '^(@spider-bench/(db|storage|contracts|config|evaluation|inference|synth|cli)|' +
    'bullmq|ioredis|pg|@prisma/.*|@electric-sql/.*|pglite-prisma-adapter|fastify|fastify-plugin|@fastify/.*|' +
    'pino|pino-pretty|onnxruntime-node|tar-stream|yauzl|prom-client|@bull-board/.*|@aws-sdk/.*|s3rver)(/|$)',
  message: 'a pure core imports no package with I/O (database, queue, HTTP, storage, processes)',
}
const noCli = {
  regex: '^\\.\\.?/(\\.\\./)*main\\.ts$',
  message: 'commands import Command/UsageError from command.ts; main.ts loads the commands (an import cycle)',
}
const noSynth = {
  regex: '^@spider-bench/synth(/|$)',
  message: 'the model runner never loads the generator: the example algorithm lives in example/ (@spider-bench/inference/example)',
}

/** Both rules for one set of restrictions (each file gets exactly one such block). */
function boundary(files, restrictions, ignores = []) {
  const literal = (r) => r.regex.replace(/\//g, '\\/')
  return {
    files,
    ignores,
    rules: {
      'no-restricted-imports': ['error', { patterns: restrictions.map((r) => ({ regex: r.regex, message: r.message })) }],
      'no-restricted-syntax': [
        'error',
        ...restrictions.map((r) => ({ selector: `ImportExpression[source.value=/${literal(r)}/]`, message: r.message })),
      ],
    },
  }
}

const TESTS = ['**/*.test.ts', '**/*.fixture.ts', '**/testing/**']
const SCORING_IMAGE_IO = [
  'packages/scoring/src/image/**',
  'packages/scoring/src/pair-files.ts',
  'packages/scoring/src/score-directories.ts',
]
const CLI_ROOT = ['packages/cli/src/server.ts', 'packages/cli/src/commands/worker.ts']
/** The package entry re-exports main(). */
const CLI_ENTRY = 'packages/cli/src/index.ts'
const INFERENCE_EXAMPLE = ['packages/inference/src/example/**']
const OTHER_PACKAGES = ['config', 'contracts', 'db', 'storage', 'synth', 'evaluation'].map((p) => `packages/${p}/**`)

export default tseslint.config(
  { ignores: ['**/node_modules/**', 'data/**', 'tmp/**', 'bench-out/**', '**/generated/**', 'coverage/**', '**/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        performance: 'readonly',
        structuredClone: 'readonly',
        AbortController: 'readonly',
        fetch: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  // Type-aware rules: a promise is awaited, returned, or explicitly voided/caught.
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  // Boundaries: a file of apps/ or packages/ falls in one block at most (CLI tests in none).
  ...APPS.map((a) => boundary([`apps/${a}/**`], otherApps(a))),
  boundary(['packages/cli/**'], [...allApps, noCli], [...CLI_ROOT, CLI_ENTRY, ...TESTS.map((t) => `packages/cli/${t}`)]),
  boundary([CLI_ENTRY], allApps),
  boundary(CLI_ROOT, [noCli]),
  boundary(
    ['packages/scoring/**'],
    [...allApps, ioNode(), IO_PACKAGES],
    [...SCORING_IMAGE_IO, ...TESTS.map((t) => `packages/scoring/${t}`)],
  ),
  boundary(
    SCORING_IMAGE_IO,
    [...allApps, ioNode(['fs', 'fs/promises', 'zlib', 'os']), IO_PACKAGES],
    TESTS.map((t) => `packages/scoring/${t}`),
  ),
  boundary(
    ['packages/leaderboard/**'],
    [...allApps, ioNode(), IO_PACKAGES],
    TESTS.map((t) => `packages/leaderboard/${t}`),
  ),
  boundary(['packages/inference/**'], [...allApps, noSynth], [...INFERENCE_EXAMPLE, ...TESTS.map((t) => `packages/inference/${t}`)]),
  boundary(
    ['packages/random/**'],
    [...allApps, { regex: '^(node:|@spider-bench/)', message: 'packages/random has no imports' }],
    TESTS.map((t) => `packages/random/${t}`),
  ),
  boundary(
    ['packages/threads/**'],
    [...allApps, { regex: '^@spider-bench/', message: 'packages/threads depends on no workspace' }],
    TESTS.map((t) => `packages/threads/${t}`),
  ),
  boundary(
    [
      ...OTHER_PACKAGES,
      ...INFERENCE_EXAMPLE,
      ...['scoring', 'leaderboard', 'inference', 'random', 'threads'].flatMap((p) => TESTS.map((t) => `packages/${p}/${t}`)),
    ],
    allApps,
  ),
  // JavaScript files are outside the TypeScript projects.
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
)
