import { UsageError } from './command.ts'
import type { Config } from '@spider-bench/config'
import type { Database } from '@spider-bench/db'

/**
 * Loads the server configuration, makes DATA_DIR private when running as root (protectDataDir),
 * and opens its database for the server commands, turning
 * configuration problems and a busy embedded database into one-line errors (exit 1).
 */
export async function openServerEnv(overrides: Partial<Config> = {}): Promise<{ config: Config; db: Database }> {
  const { loadConfig, ConfigError } = await import('@spider-bench/config')
  const { openDatabase, DatabaseLockedError } = await import('@spider-bench/db')
  let config: Config
  try {
    config = loadConfig(process.env, overrides)
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message)
    throw err
  }
  // Running as root, model processes run as nobody: DATA_DIR (hidden masks, database) must be out of their reach.
  const { protectDataDir } = await import('@spider-bench/inference/sandbox')
  await protectDataDir(config.dataDir)
  try {
    const db = await openDatabase({ databaseUrl: config.databaseUrl ?? undefined, dataDir: config.dataDir })
    return { config, db }
  } catch (err) {
    if (err instanceof DatabaseLockedError) throw new UsageError(err.message, { cause: err })
    throw err
  }
}
