/**
 * What every `spider-bench` command shares: the `Command` shape, `UsageError`, and the one
 * argument parser (strict options, `-h/--help`, whole-number options). Commands import this
 * module, never `main.ts` (which loads the commands).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util'

type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>

export interface Command {
  /** One line for the command list. */
  readonly summary: string
  /** Runs the command; resolves to the process exit code. */
  run(argv: string[]): Promise<number>
}

/** Usage errors: printed as one line, exit code 1. */
export class UsageError extends Error {
  override name = 'UsageError'
}

type HelpOption = { help: { type: 'boolean'; short: 'h' } }
type Parsed<O extends ParseArgsOptionsConfig> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O & HelpOption; strict: true; allowPositionals: boolean }>
>

/**
 * Parses a command's arguments: unknown options are usage errors (strict), `-h/--help` is
 * added; when it is given, prints `help` and returns null (the command returns 0). Positional
 * arguments are refused unless `positionals` is true.
 */
export function parseCommandArgs<const O extends ParseArgsOptionsConfig>(
  argv: string[],
  help: string,
  options: O,
  { positionals = false }: { positionals?: boolean } = {},
): Parsed<O> | null {
  const parsed = parseArgs({
    args: argv,
    options: { ...options, help: { type: 'boolean', short: 'h' } } as O & HelpOption,
    strict: true,
    allowPositionals: positionals,
  })
  if ((parsed.values as { help?: boolean }).help) {
    console.log(help)
    return null
  }
  return parsed as Parsed<O>
}

/**
 * A whole-number option `--name` of at least `min` (and at most `max` when given), or
 * `fallback` when absent; anything else is a usage error naming the option and the value.
 */
export function intOption<F extends number | undefined>(
  name: string,
  value: string | undefined,
  fallback: F,
  min = 0,
  max?: number,
): number | F {
  if (value === undefined) return fallback
  if (!/^\d+$/.test(value) || Number(value) < min || (max !== undefined && Number(value) > max)) {
    const expected =
      max !== undefined
        ? `a whole number from ${min} to ${max}`
        : min === 1
          ? 'a positive integer'
          : min === 0
            ? 'a non-negative integer'
            : `a whole number >= ${min}`
    throw new UsageError(`--${name} expects ${expected}, got "${value}"`)
  }
  return Number(value)
}
