/**
 * `spider-bench` command dispatcher. Each command lives in its own module under
 * `commands/` and is imported lazily, so `score` never loads Fastify or Prisma. Commands
 * import `Command`/`UsageError` from `command.ts`, never this module.
 */
import { UsageError, type Command } from './command.ts'

type Loader = () => Promise<{ command: Command }>

// Command name (may contain a space for subcommands, e.g. "db migrate") → module.
const COMMANDS: Record<string, Loader> = {
  score: () => import('./commands/score.ts'),
  rank: () => import('./commands/rank.ts'),
  synth: () => import('./commands/synth.ts'),
  serve: () => import('./commands/serve.ts'),
  'db migrate': () => import('./commands/db-migrate.ts'),
  'users create': () => import('./commands/users-create.ts'),
  'testset import': () => import('./commands/testset-import.ts'),
  worker: () => import('./commands/worker.ts'),
  demo: () => import('./commands/demo.ts'),
  'example-algorithm': () => import('./commands/example-algorithm.ts'),
  // Participants: log in once, then submit, follow and fetch results.
  login: () => import('./commands/login.ts'),
  logout: () => import('./commands/logout.ts'),
  submit: () => import('./commands/submit.ts'),
  submissions: () => import('./commands/submissions.ts'),
  status: () => import('./commands/status.ts'),
  results: () => import('./commands/results.ts'),
  leaderboard: () => import('./commands/leaderboard.ts'),
  quota: () => import('./commands/quota.ts'),
}

/** The registered command names, sorted. */
export function commandNames(): string[] {
  return Object.keys(COMMANDS).sort()
}

async function listCommands(): Promise<string> {
  const lines = [
    'usage: spider-bench <command> [options]   (spider-bench <command> --help for details; spider-bench --version)',
    '',
    'commands:',
  ]
  for (const name of commandNames()) {
    const { command } = await COMMANDS[name]()
    lines.push(`  ${name.padEnd(18)} ${command.summary}`)
  }
  return lines.join('\n')
}

/** The version of spider-bench (the root package.json). */
export async function version(): Promise<string> {
  const { readFile } = await import('node:fs/promises')
  const pkg = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

/** Help of a group of subcommands ("db", "users", "testset"). */
async function listGroup(group: string): Promise<string> {
  const lines = [
    `usage: spider-bench ${group} <subcommand> [options]   (spider-bench ${group} <subcommand> --help for details)`,
    '',
    'subcommands:',
  ]
  for (const name of commandNames().filter((n) => n.startsWith(`${group} `))) {
    const { command } = await COMMANDS[name]()
    lines.push(`  ${name.slice(group.length + 1).padEnd(12)} ${command.summary}`)
  }
  return lines.join('\n')
}

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    console.log(await listCommands())
    return argv.length === 0 ? 1 : 0
  }
  if (argv[0] === '--version' || argv[0] === '-V' || argv[0] === 'version') {
    console.log(`spider-bench ${await version()}`)
    return 0
  }
  // Longest match first: "db migrate" before "db".
  const two = argv.length > 1 ? `${argv[0]} ${argv[1]}` : ''
  const name = two in COMMANDS ? two : argv[0] in COMMANDS ? argv[0] : null
  const isGroup = commandNames().some((n) => n.startsWith(`${argv[0]} `))
  if (!name && isGroup) {
    if (argv.length === 1 || argv[1] === '--help' || argv[1] === '-h') {
      console.log(await listGroup(argv[0]))
      return argv.length === 1 ? 1 : 0
    }
    console.error(`spider-bench: unknown command "${argv.slice(0, 2).join(' ')}"\n\n${await listGroup(argv[0])}`)
    return 1
  }
  if (!name) {
    console.error(`spider-bench: unknown command "${argv.slice(0, 2).join(' ')}"\n\n${await listCommands()}`)
    return 1
  }
  const rest = argv.slice(name.split(' ').length)
  const { command } = await COMMANDS[name]()
  try {
    return await command.run(rest)
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`spider-bench ${name}: ${(err as Error).message}`)
      return 1
    }
    throw err
  }
}
