import { join } from 'node:path'
import { parseCommandArgs, intOption, UsageError, type Command } from '../command.ts'

const HELP = `usage: spider-bench demo [--studies N]

A complete benchmark on this machine with no setup: uses the embedded database and the
Redis at REDIS_URL (default redis://127.0.0.1:6379) or, when none answers, starts a private
redis-server under DATA_DIR; runs the server with its scoring and inference workers;
generates a synthetic test set and graded predictions; creates a challenge with a phase
ranked on the SPIDER columns, an admin, an organiser and five participants; four submit
graded predictions, the fifth the example ONNX algorithm (trained once, a few minutes on the
CPU), which the server runs itself; waits for the evaluations, prints the leaderboard and the
URLs to browse, then keeps serving until Ctrl-C. Running it again reuses DATA_DIR (default
./data).

options:
  --studies N   synthetic studies in the test set (default 6; each gives 2-3 series)
environment: DATA_DIR, PORT (default 3000), HOST (default 127.0.0.1), REDIS_URL`

export const command: Command = {
  summary: 'run a complete demo benchmark (synthetic data, challenge, submissions, leaderboard)',
  async run(argv) {
    const args = parseCommandArgs(argv, HELP, { studies: { type: 'string' } })
    if (!args) return 0
    const { values } = args
    const studies = intOption('studies', values.studies, 6, 1, 200)
    const { loadConfig, ConfigError } = await import('@spider-bench/config')
    let config
    try {
      config = loadConfig(process.env)
    } catch (err) {
      if (err instanceof ConfigError) throw new UsageError(err.message)
      throw err
    }
    if (config.databaseUrl) console.log('demo: DATABASE_URL is ignored; the demo keeps its own embedded database in DATA_DIR/db')
    const { mkdir } = await import('node:fs/promises')
    await mkdir(config.dataDir, { recursive: true })
    const { pino } = await import('pino')
    const logFile = join(config.dataDir, 'demo-server.log')
    const logger = pino(pino.destination({ dest: logFile, sync: false }))
    console.log(`spider-bench demo (data in ${config.dataDir}; server log in ${logFile})`)
    const { runDemo } = await import('../demo/run-demo.ts')
    const demo = await runDemo({
      dataDir: config.dataDir,
      redisUrl: config.redisUrl,
      port: config.port,
      host: config.host,
      studies,
      logger,
      say: (line) => console.log(line),
    })
    console.log('Serving; press Ctrl-C to stop.')
    await new Promise<void>((resolve) => {
      const stop = () => {
        console.log('\nstopping ...')
        void demo.close().then(resolve)
      }
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
    })
    return 0
  },
}
