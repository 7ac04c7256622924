import { parseCommandArgs, UsageError, type Command } from '../command.ts'
import { participantCommand } from '../participant/command.ts'
import { configPath, removeLogin } from '../participant/config-file.ts'

const HELP = `usage: spider-bench logout

Removes the stored login ($XDG_CONFIG_HOME/spider-bench/config.json). The token stays valid
on the server: ask the organisers to revoke it if it leaked.`

export const command: Command = {
  summary: 'remove the stored server URL and API token',
  async run(argv) {
    const args = parseCommandArgs(argv, HELP, {}, { positionals: true })
    if (!args) return 0
    const { positionals } = args
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`)
    return participantCommand('logout', async () => {
      const file = configPath()
      console.log((await removeLogin(file)) ? `logged out: removed ${file}` : `not logged in (no ${file})`)
      if (process.env.SPIDER_BENCH_TOKEN) console.error('note: SPIDER_BENCH_TOKEN is still set in this environment')
      return 0
    })
  },
}
