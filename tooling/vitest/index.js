import { defineConfig, mergeConfig } from 'vitest/config'

/**
 * The shared Vitest configuration: tests beside the code, no silent skips.
 * @param {import('vitest/config').UserConfig} [overrides]
 */
export function culmVitestConfig(overrides = {}) {
  return mergeConfig(
    defineConfig({
      test: {
        include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
        passWithNoTests: false,
        allowOnly: !process.env.CI,
        testTimeout: 20_000,
        reporters: process.env.CI ? ['default'] : ['default'],
      },
    }),
    overrides,
  )
}
