export * from './isolation.js';
export * from './keys.js';
export * from './rabbit-management.js';
export * from './services.js';
export * from './vitest.js';
export * from './wait.js';
