import type { UserConfig } from 'vitest/config'

/** The shared Vitest configuration: tests beside the code, no silent skips. */
export function culmVitestConfig(overrides?: UserConfig): UserConfig
