// Builds the web pages (apps/web) into apps/web/dist with Vite: run by the root postinstall, so
// `npm ci` leaves a working site, and by `npm run build:web`. Without Vite (an install without
// dev dependencies) it says so and stops without failing the install: the server then answers
// `/` with how to build the pages, and the API works as before.
import { fileURLToPath } from 'node:url'

let vite
try {
  vite = await import('vite')
} catch {
  console.warn(
    'web: Vite is not installed (dev dependencies omitted?), so the pages are not built; install them and run "npm run build:web"',
  )
  process.exit(0)
}
const started = Date.now()
await vite.build({ configFile: fileURLToPath(new URL('./vite.config.ts', import.meta.url)), logLevel: 'warn' })
console.log(`web: pages built into apps/web/dist in ${Date.now() - started} ms`)
