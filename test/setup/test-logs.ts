/**
 * Vitest setup (both projects): passing tests print nothing. Loggers created without an
 * explicit destination (defaultLogger: the worker's, when a test passes none) write into a
 * buffer that is printed to stderr only when a test fails. With LOG_LEVEL set, they log to
 * stdout at that level as in production.
 */
import { beforeEach } from 'vitest'
import { setDefaultLogDestination } from '@spider-bench/config'

if (!process.env.LOG_LEVEL) {
  const lines: string[] = []
  let bytes = 0
  setDefaultLogDestination({
    write(line: string) {
      lines.push(line)
      bytes += line.length
      // Keep the last few MB: enough to see why a test failed.
      while (bytes > 4_000_000 && lines.length > 1) bytes -= lines.shift()?.length ?? 0
    },
  })
  beforeEach((context) => {
    lines.length = 0
    bytes = 0
    context.onTestFailed(() => {
      if (lines.length > 0)
        process.stderr.write(
          `\n--- server and worker logs of the failed test "${context.task.name}" ---\n${lines.join('')}--- end of logs ---\n`,
        )
    })
  })
}
