import { parseCommandArgs, type Command } from '../command.ts'
import { openServerEnv } from '../server-env.ts'

const HELP = `usage: spider-bench db migrate

Applies pending migrations (prisma/migrations) to DATABASE_URL, or to the embedded
database in DATA_DIR/db when DATABASE_URL is unset. Works offline.`

export const command: Command = {
  summary: 'apply pending database migrations (DATABASE_URL or the embedded database)',
  async run(argv) {
    if (!parseCommandArgs(argv, HELP, {})) return 0
    const { config, db } = await openServerEnv()
    try {
      const m = db.migrations
      const where = config.databaseUrl ? 'DATABASE_URL' : `the embedded database in ${config.dataDir}/db`
      if (!m || m.applied.length === 0) console.log(`${where}: up to date (${m?.alreadyApplied.length ?? 0} migrations applied earlier)`)
      else for (const name of m.applied) console.log(`applied ${name}`)
      for (const name of m?.unknown ?? []) console.warn(`warning: the database has migration ${name}, which this version does not know`)
      return 0
    } finally {
      await db.close()
    }
  },
}
