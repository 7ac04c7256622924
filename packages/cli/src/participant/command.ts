import { ParticipantClient } from './client.ts'
import { resolveLogin } from './config-file.ts'
import { ParticipantError } from './errors.ts'

/** Runs a participant command: a ParticipantError is printed (all its lines) and sets the exit code. */
export async function participantCommand(name: string, run: () => Promise<number>): Promise<number> {
  try {
    return await run()
  } catch (err) {
    if (!(err instanceof ParticipantError)) throw err
    console.error(`spider-bench ${name}: ${err.message}`)
    return err.exitCode
  }
}

/** A client for the stored login (SPIDER_BENCH_URL / SPIDER_BENCH_TOKEN override it); `anonymous`: the URL suffices. */
export async function connect(options: { anonymous?: boolean } = {}, env: NodeJS.ProcessEnv = process.env): Promise<ParticipantClient> {
  const login = await resolveLogin(env, options.anonymous)
  return new ParticipantClient({
    url: login.url,
    token: login.token,
    tokenFrom: login.tokenFrom === 'config file' ? 'your login (spider-bench login)' : 'SPIDER_BENCH_TOKEN',
  })
}
