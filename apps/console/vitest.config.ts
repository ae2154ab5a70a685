import { defineConfig } from 'vitest/config'

// The unit tests cover pure modules (data provider, graph layout, event-stream parser): no DOM.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts'],
    passWithNoTests: false,
  },
})
