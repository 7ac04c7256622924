export { Rng, deriveSeed, rngFor, seededRandom } from './prng.ts'
