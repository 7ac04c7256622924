import { parseCommandArgs, UsageError, type Command } from '../command.ts'
import { ParticipantClient } from '../participant/client.ts'
import { participantCommand } from '../participant/command.ts'
import { configPath, normalizeUrl, saveLogin } from '../participant/config-file.ts'

const HELP = `usage: spider-bench login --url URL --token TOKEN

Checks the API token with the server (GET /api/v1/me), then stores the URL and the token in
$XDG_CONFIG_HOME/spider-bench/config.json (default ~/.config/spider-bench/config.json),
readable by you only (mode 0600). The participant commands (submit, submissions, status,
results, leaderboard, quota) use it; SPIDER_BENCH_URL and SPIDER_BENCH_TOKEN override it.

  --url URL       the server's address, e.g. https://bench.example.org
  --token TOKEN   your API token (from the organisers); "-" reads it from stdin`

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8').trim()
}

export const command: Command = {
  summary: 'check an API token and store it with the server URL (participants)',
  async run(argv) {
    const args = parseCommandArgs(argv, HELP, { url: { type: 'string' }, token: { type: 'string' } }, { positionals: true })
    if (!args) return 0
    const { values, positionals } = args
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}" (see --help)`)
    if (!values.url) throw new UsageError('--url URL is required (the server, e.g. https://bench.example.org)')
    if (!values.token) throw new UsageError('--token TOKEN is required (your API token; "-" reads it from stdin)')
    return participantCommand('login', async () => {
      const url = normalizeUrl(values.url as string, '--url')
      const token = values.token === '-' ? await readStdin() : (values.token as string)
      if (!token) throw new UsageError('the token read from stdin is empty')
      const me = await new ParticipantClient({ url, token, tokenFrom: '--token' }).me()
      const file = configPath()
      await saveLogin({ url, token }, file)
      console.log(`logged in to ${url} as ${me.name} (${me.role}); login stored in ${file}`)
      if (me.role !== 'participant') console.error(`note: this token belongs to a ${me.role}, not a participant`)
      return 0
    })
  },
}
