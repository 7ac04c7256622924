/**
 * Body of a scoring thread: scores one series per message with the scoring library, so that
 * the CPU-heavy work never blocks the worker's event loop (BullMQ lock renewal, heartbeats).
 * Tells the pool it is warm once the scoring code is loaded (and transpiled).
 */
import { scoreSeriesFiles } from '@spider-bench/scoring'
import { serveTasks } from '@spider-bench/threads'
import type { ScoreInput } from './score-task.ts'

serveTasks((input: ScoreInput) => scoreSeriesFiles(input))
