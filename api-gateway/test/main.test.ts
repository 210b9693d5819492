import { loadConfig } from '@chat/service-kit';
import { describe, expect, it } from 'vitest';
import { gatewayConfigSchema } from '../src/config.js';
import { runEntryPoint } from '../../user-service/test/run-entry-point.js';

describe('api-gateway main', () => {
  it('stops with one readable line when the configuration is bad', async () => {
    const { code, stderr } = await runEntryPoint('api-gateway/src/main.ts', {
      CHAT_SERVICE_URLS: 'http://127.0.0.1:3003,ftp://elsewhere',
      UPSTREAM_TIMEOUT_MS: 'soon',
    });
    expect(code).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines, stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^config: /);
    expect(lines[0]).toContain('CHAT_SERVICE_URLS must be a http:// or https:// URL');
    expect(lines[0]).toContain('UPSTREAM_TIMEOUT_MS must be an integer');
  });
});

describe('api-gateway configuration', () => {
  it('serves operator endpoints on OPERATOR_PORT (9100 by default), which must not be the public port', () => {
    expect(loadConfig(gatewayConfigSchema, {})).toMatchObject({ PORT: 3000, OPERATOR_PORT: 9100 });
    expect(() => loadConfig(gatewayConfigSchema, { PORT: '8080', OPERATOR_PORT: '8080' })).toThrow(
      'OPERATOR_PORT must differ from PORT',
    );
  });
});
