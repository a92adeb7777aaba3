export * from './schema.js';
export * from './checks-schema.js';
export * from './steps-schema.js';
export { loadConfig, ConfigError, defaultConfigPath, BUNDLED_DEMO_CONFIG, type LoadedConfig } from './load.js';
export { parseDuration, formatDuration } from './duration.js';
