// Test support for integration tests in other packages (`@spider-bench/api/testing`); not part of the server.
export { startHarness, DEFAULT_DATABASE_URL, type Harness, type Backend } from './harness.ts'
export { apiClient, PHASE_BODY } from './client.ts'
export { writeZip, writeTarGz, type TestEntry } from './archives.ts'
export { mhaBytes, type TestImageOptions } from './images.ts'
