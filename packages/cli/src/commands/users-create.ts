import { parseArgs } from 'node:util'
import { UsageError, type Command } from '../main.ts'
import { openServerEnv } from '../server-env.ts'

const HELP = `usage: spider-bench users create --name NAME --role admin|organiser|participant

Creates a user and prints a new API token as the last line of stdout. The token is shown
only once (the server stores its hash). Uses DATABASE_URL or the embedded database in
DATA_DIR/db (migrating it first); with the embedded database, stop "serve" first.`

export const command: Command = {
  summary: 'create a user and print a new API token (last line of stdout)',
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: { name: { type: 'string' }, role: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    })
    if (values.help) {
      console.log(HELP)
      return 0
    }
    if (!values.name) throw new UsageError('--name is required')
    if (!values.role) throw new UsageError('--role is required (admin, organiser or participant)')
    const { isRole, createUser } = await import('@spider-bench/api')
    if (!isRole(values.role)) throw new UsageError(`--role must be admin, organiser or participant, got "${values.role}"`)
    const { db } = await openServerEnv()
    try {
      const user = await createUser(db.prisma, values.name, values.role).catch((err: Error) => {
        throw new UsageError(err.message)
      })
      console.log(`created ${user.role} "${user.name}" (${user.id}); API token (shown once):`)
      console.log(user.token)
      return 0
    } finally {
      await db.close()
    }
  },
}
