import type { Command } from '../main.ts'

// Placeholder until issue 2 lands: refuses clearly rather than pretending to score.
export const command: Command = {
  summary: 'score a folder of predicted masks against reference masks (SPIDER metrics)',
  async run() {
    console.error('spider-bench score: not implemented yet')
    return 1
  },
}
