import type { ViteUserConfig } from 'vitest/config' with { 'resolution-mode': 'import' }

// Plain object (no runtime import of the ESM-only 'vitest/config': tsconfig.json type-checks
// this file as CommonJS).
const config: ViteUserConfig = {
  test: {
    include: ['test/**/*.test.ts'],
    // The native addon keeps process-wide state (the thread pool): one process per file.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
}

export default config
