import { parseCommandArgs, UsageError, type Command } from '../command.ts'
import { openServerEnv } from '../server-env.ts'

const HELP = `usage: spider-bench users create --name NAME --role admin|organiser|participant [--url URL] [--token T]

Creates a user and prints a new API token as the last line of stdout. The token is shown
only once (the server stores its hash).

Without --url it writes to the database directly (DATABASE_URL, or the embedded database in
DATA_DIR/db, migrated first), so it works with no server running. While "serve" holds the
embedded database, it goes through that server's REST API instead (POST /api/v1/users; the
server's address is in DATA_DIR/server.json), which needs an admin's token.

  --url URL     create the user through the API of this server (default, beside a running
                "serve": its address; else $SPIDER_URL)
  --token T     an admin's API token for the API (default $SPIDER_TOKEN)`

interface Created {
  readonly id: string
  readonly name: string
  readonly role: string
  readonly token: string
}

function printCreated(user: Created): number {
  console.log(`created ${user.role} "${user.name}" (${user.id}); API token (shown once):`)
  console.log(user.token)
  return 0
}

/** POST /api/v1/users on a running server. */
async function createThroughApi(url: string, token: string, name: string, role: string): Promise<Created> {
  const { RestClient, ApiCallError } = await import('../demo/rest-client.ts')
  try {
    const answer = await new RestClient(url.replace(/\/+$/, '')).call<{ user: { id: string; name: string; role: string }; token: string }>(
      'POST',
      '/api/v1/users',
      token,
      { name, role },
    )
    return { ...answer.user, token: answer.token }
  } catch (err) {
    if (err instanceof ApiCallError) {
      const hint =
        err.status === 401 ? ' (the token is not valid on this server)' : err.status === 403 ? " (the token is not an admin's)" : ''
      throw new UsageError(`the server at ${url} refused: ${err.answer.message ?? err.message}${hint}`)
    }
    throw new UsageError(`cannot reach the server at ${url}: ${(err as Error).message}`)
  }
}

/** What to do when the embedded database is held by a server (ours to explain exactly). */
function howTo(name: string, role: string, locked: string, url: string | null): string {
  const where = url ?? '<server URL>'
  return [
    locked,
    url
      ? `The server there listens on ${url}; create the user through its API with an admin's token:`
      : "Create the user through the running server's API with an admin's token:",
    `  spider-bench users create --name ${name} --role ${role} ${url ? '' : `--url ${where} `}--token ADMIN_TOKEN` +
      '      (or set SPIDER_TOKEN)',
    `  curl -sS --fail-with-body -X POST ${where}/api/v1/users -H "Authorization: Bearer ADMIN_TOKEN" \\`,
    `    -H 'Content-Type: application/json' -d '{"name":"${name}","role":"${role}"}'`,
    'No admin yet? Stop the server, run this command (it then writes to the database directly), and start the server again.',
  ].join('\n')
}

export const command: Command = {
  summary: "create a user and print a new API token (offline, or through a running server's API)",
  async run(argv) {
    const args = parseCommandArgs(argv, HELP, {
      name: { type: 'string' },
      role: { type: 'string' },
      url: { type: 'string' },
      token: { type: 'string' },
    })
    if (!args) return 0
    const { values } = args
    if (!values.name) throw new UsageError('--name is required')
    if (!values.role) throw new UsageError('--role is required (admin, organiser or participant)')
    const { isRole, createUser, UserInputError } = await import('@spider-bench/evaluation')
    if (!isRole(values.role)) throw new UsageError(`--role must be admin, organiser or participant, got "${values.role}"`)
    const token = values.token ?? process.env.SPIDER_TOKEN
    if (values.url !== undefined) {
      if (!token) throw new UsageError("--url needs an admin's API token: --token T or SPIDER_TOKEN")
      return printCreated(await createThroughApi(values.url, token, values.name, values.role))
    }
    let env
    try {
      env = await openServerEnv()
    } catch (err) {
      const { DatabaseLockedError } = await import('@spider-bench/db')
      if (!(err instanceof UsageError && err.cause instanceof DatabaseLockedError)) throw err
      // The embedded database belongs to a running server: go through its API.
      const { loadConfig } = await import('@spider-bench/config')
      const { readServerInfo } = await import('../server-info.ts')
      const info = await readServerInfo(loadConfig(process.env).dataDir)
      const url = info?.url ?? process.env.SPIDER_URL ?? null
      if (!url || !token) throw new UsageError(howTo(values.name, values.role, err.message, url))
      return printCreated(await createThroughApi(url, token, values.name, values.role))
    }
    try {
      const user = await createUser(env.db.prisma, values.name, values.role).catch((err: Error) => {
        throw err instanceof UserInputError ? new UsageError(err.message) : err
      })
      return printCreated(user)
    } finally {
      await env.db.close()
    }
  },
}
