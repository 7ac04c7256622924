import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { commandNames } from '@spider-bench/cli'

// No Docker engine runs here, so the deployment files are checked statically: every
// Dockerfile, every file a Dockerfile copies, every command and every environment variable
// the compose file names must exist in the repository.

const root = join(import.meta.dirname, '..')

interface ComposeService {
  image?: string
  build?: { context: string; dockerfile: string }
  command?: string[]
  environment?: Record<string, string>
  healthcheck?: { test: string[] }
  depends_on?: Record<string, { condition: string }>
  profiles?: string[]
}

const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>
  volumes: Record<string, unknown>
}
const built = Object.entries(compose.services).filter(([, s]) => s.build)

/** Every .ts source of the project's packages and apps (tests excluded), concatenated. */
function projectSources(): string {
  const out: string[] = []
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name)
      if (name === 'node_modules' || name === 'generated') continue
      if (statSync(path).isDirectory()) walk(path)
      else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(readFileSync(path, 'utf8'))
    }
  }
  for (const top of ['packages', 'apps']) walk(join(root, top))
  return out.join('\n')
}

describe('docker-compose.yml', () => {
  it('runs Postgres, Redis (persistent, noeviction), the API and the worker, with a GPU profile', () => {
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['postgres', 'redis', 'api', 'worker', 'gpu-worker']))
    const redis = compose.services.redis.command?.join(' ') ?? ''
    expect(redis).toContain('--appendonly yes')
    expect(redis).toContain('--maxmemory-policy noeviction')
    expect(compose.services['gpu-worker'].profiles).toEqual(['gpu'])
    for (const name of ['postgres', 'redis', 'api']) expect(compose.services[name].healthcheck, name).toBeDefined()
    expect(Object.keys(compose.volumes)).toEqual(expect.arrayContaining(['pgdata', 'redisdata', 'data']))
  })

  it.each(built)('service %s: its Dockerfile and every file it copies exist', (_name, service) => {
    const dockerfile = join(root, service.build!.context, service.build!.dockerfile)
    expect(existsSync(dockerfile), dockerfile).toBe(true)
    const text = readFileSync(dockerfile, 'utf8')
    const copies = [...text.matchAll(/^COPY\s+(?!--from)(.+)$/gm)].map((m) => m[1].trim().split(/\s+/).slice(0, -1)).flat()
    expect(copies.length).toBeGreaterThan(0)
    for (const src of copies) expect(existsSync(join(root, service.build!.context, src)), `${dockerfile}: COPY ${src}`).toBe(true)
    expect(text).toMatch(/ENTRYPOINT \["node", "bin\/spider-bench\.js"\]/)
  })

  it.each(built)('service %s: its image builds the compiled code and runs it on a supported Node.js', (_name, service) => {
    const text = readFileSync(join(root, service.build!.context, service.build!.dockerfile), 'utf8')
    const stages = text.split(/^FROM /m).slice(1)
    const [runtime, ...earlier] = stages.reverse()
    // A build stage runs the build (scripts/build.mjs) and checks that the compiled CLI starts.
    expect(earlier.some((s) => /npm run build/.test(s) && /SPIDER_BENCH_RUNTIME=build node bin\/spider-bench\.js/.test(s))).toBe(true)
    // The runtime stage copies it and never falls back to tsx.
    expect(runtime).toMatch(/^ENV SPIDER_BENCH_RUNTIME=build$/m)
    expect(runtime).toMatch(/^COPY --from=build \/app \/app$/m)
    // The Node.js major of the images (ARG NODE_VERSION's default) is one package.json's engines allow.
    const major = Number(/^ARG NODE_VERSION=(\d+)$/m.exec(text)?.[1])
    expect(text).toMatch(/^FROM node:\$\{NODE_VERSION\}-bookworm-slim/m)
    const { engines } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } }
    const allowed = engines.node.split('||').some((range) => {
      const m = /^\s*(\^|>=)(\d+)/.exec(range)
      return m !== null && (m[1] === '^' ? major === Number(m[2]) : major >= Number(m[2]))
    })
    expect(allowed, `Node.js ${major} in ${service.build!.dockerfile}, engines ${engines.node}`).toBe(true)
  })

  it.each(built)('service %s: its command is a spider-bench command', (_name, service) => {
    const command = service.command ?? []
    const names = commandNames()
    const joined = command.slice(0, 2).join(' ')
    expect(names.includes(joined) || names.includes(command[0]), `spider-bench ${command.join(' ')}`).toBe(true)
  })

  it.each(built)('service %s: every environment variable is read by the project', (_name, service) => {
    const sources = projectSources()
    for (const variable of Object.keys(service.environment ?? {})) {
      expect(sources.includes(variable), `${variable} is not read anywhere in packages/ or apps/`).toBe(true)
    }
  })

  it('depends on services that exist', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const dep of Object.keys(service.depends_on ?? {})) expect(compose.services[dep], `${name} → ${dep}`).toBeDefined()
    }
  })
})
