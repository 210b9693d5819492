import { useIsolation } from '@chat/testing';
import { afterAll, beforeAll } from 'vitest';
import { describeAuthApi } from './auth-api-suite.js';
import { startUserService, type RunningUserService } from './harness.js';

const iso = useIsolation('user-auth-api');
let service: RunningUserService;

beforeAll(async () => {
  service = await startUserService(iso());
});
afterAll(async () => {
  await service?.close();
});

describeAuthApi(() => service.url);
