import { afterAll, beforeAll, inject } from 'vitest';
import { createIsolation, type Isolation } from './isolation.js';
import type { TestServices } from './services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    services: TestServices;
  }
}

/**
 * Give this test file its own database, key prefix and vhost for its whole run, cleaned up
 * after. Returns a getter, valid inside tests and hooks.
 */
export function useIsolation(label: string): () => Isolation {
  let iso: Isolation | undefined;
  beforeAll(async () => {
    iso = await createIsolation(inject('services'), label);
  });
  afterAll(async () => {
    await iso?.cleanup();
  });
  return () => {
    if (!iso) throw new Error('useIsolation: not ready (call it at file or describe level)');
    return iso;
  };
}
