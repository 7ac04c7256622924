import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { commandNames } from './main.ts'
import { runCli } from './testing/run-cli.ts'

const README = new URL('../../../README.md', import.meta.url)

describe('spider-bench (the command list, groups, --version, help texts)', () => {
  it('prints its version', async () => {
    const pkg = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
    expect(await runCli(['--version'])).toEqual({ code: 0, out: `spider-bench ${pkg.version}`, err: '' })
  })

  it('has a help for each group of subcommands (users, testset, db)', async () => {
    for (const group of ['users', 'testset', 'db']) {
      const subcommands = commandNames().filter((n) => n.startsWith(`${group} `))
      expect(subcommands.length).toBeGreaterThan(0)
      const help = await runCli([group, '--help'])
      expect(help.code).toBe(0)
      expect(help.out).toContain(`usage: spider-bench ${group} <subcommand> [options]`)
      for (const name of subcommands) expect(help.out).toMatch(new RegExp(`^  ${name.split(' ')[1]} +\\S`, 'm'))
      // Without a subcommand: the same help, as a usage error.
      expect((await runCli([group])).code).toBe(1)
    }
    const unknown = await runCli(['users', 'delete'])
    expect(unknown.code).toBe(1)
    expect(unknown.err).toContain('spider-bench: unknown command "users delete"')
  })

  it('documents in the README every command and every option its --help names', async () => {
    const readme = await readFile(README, 'utf8')
    const missing: string[] = []
    for (const name of commandNames()) {
      const help = await runCli([...name.split(' '), '--help'])
      expect(help.code, `${name} --help`).toBe(0)
      if (!readme.includes(`spider-bench ${name}`)) missing.push(`spider-bench ${name}`)
      const usage = help.out.split('\n\n')[0]
      for (const option of new Set(usage.match(/--[a-z][a-z-]*/g) ?? []))
        if (option !== '--help' && !readme.includes(option)) missing.push(`${name} ${option}`)
    }
    expect(missing).toEqual([])
  })
})
