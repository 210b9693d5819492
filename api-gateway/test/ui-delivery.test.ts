import { mkdtemp, readdir, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from './harness.js';

/**
 * The real UI build (client-ui/vite.config.ts, as `npm run build` makes it) served by the
 * gateway: what a browser's cold load transfers.
 */

const VITE_CONFIG = fileURLToPath(new URL('../../client-ui/vite.config.ts', import.meta.url));
let dir: string;
let gw: RunningGateway;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gateway-ui-build-'));
  const { build } = await import('vite');
  // Vitest sets NODE_ENV=test, which would give React's development bundle.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ configFile: VITE_CONFIG, logLevel: 'warn', build: { outDir: dir, emptyOutDir: true } });
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
  gw = await startGateway({ staticDir: dir });
}, 120_000);
afterAll(async () => {
  await gw?.close();
  await rm(dir, { recursive: true, force: true });
});

interface Transfer {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The bytes on the wire (after Content-Encoding). */
  wire: Buffer;
  /** Decoded as the browser would. */
  body: Buffer;
}

/** A GET that keeps the body as sent (fetch would decode it and hide the size). */
function get(target: string, headers: Record<string, string>): Promise<Transfer> {
  return new Promise((resolve, reject) => {
    http
      .get(`${gw.url}${target}`, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => {
          const wire = Buffer.concat(chunks);
          const encoding = wire.length > 0 ? res.headers['content-encoding'] : undefined;
          const body =
            encoding === 'br' ? zlib.brotliDecompressSync(wire) : encoding === 'gzip' ? zlib.gunzipSync(wire) : wire;
          resolve({ status: res.statusCode ?? 0, headers: res.headers, wire, body });
        });
      })
      .on('error', reject);
  });
}

const BROWSER = { accept: 'text/html,*/*;q=0.8', 'accept-encoding': 'gzip, deflate, br, zstd' };
const IDENTITY = { accept: 'text/html,*/*;q=0.8', 'accept-encoding': 'identity' };

/** index.html and the scripts and styles it loads: what a first visit downloads. */
async function coldLoad(headers: Record<string, string>): Promise<Transfer[]> {
  const index = await get('/', headers);
  const assets = [...index.body.toString().matchAll(/(?:src|href)="(\/assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]!);
  expect(assets.length).toBeGreaterThanOrEqual(2);
  return [index, ...(await Promise.all(assets.map((a) => get(a, headers))))];
}

const bytes = (transfers: Transfer[]) => transfers.reduce((n, t) => n + t.wire.length, 0);

describe('delivering the UI', () => {
  it('a cold load transfers brotli-compressed index, script and styles, bounded in size', async ({ annotate }) => {
    const plain = await coldLoad(IDENTITY);
    const compressed = await coldLoad(BROWSER);
    const before = bytes(plain);
    const after = bytes(compressed);
    const gzipped = bytes(await coldLoad({ ...BROWSER, 'accept-encoding': 'gzip' }));
    await annotate(`cold load: ${before} B uncompressed, ${after} B brotli, ${gzipped} B gzip`);
    for (const [i, t] of compressed.entries()) {
      expect(t.status).toBe(200);
      expect(t.headers['content-encoding']).toBe('br');
      expect(t.headers.vary).toMatch(/accept-encoding/i);
      expect(Number(t.headers['content-length'])).toBe(t.wire.length);
      expect(t.body.equals(plain[i]!.body)).toBe(true); // the same file, only smaller
    }
    expect(plain.every((t) => t.headers['content-encoding'] === undefined)).toBe(true);
    expect(after).toBeLessThan(150_000);
    expect(after).toBeLessThan(before * 0.4);
  });

  it('caches hashed assets for good and revalidates index.html', async () => {
    const [index, ...assets] = await coldLoad(BROWSER);
    expect(index!.headers['cache-control']).toBe('no-cache');
    for (const a of assets) expect(a.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    // A revalidation of index.html costs no body.
    const again = await get('/', { ...BROWSER, 'if-none-match': String(index!.headers.etag) });
    expect(again.status).toBe(304);
    expect(again.wire.length).toBe(0);
  });

  it('gives gzip to a client without brotli, and the file as it is to one that accepts neither', async () => {
    const [, gz] = await coldLoad({ ...BROWSER, 'accept-encoding': 'gzip' });
    expect(gz!.headers['content-encoding']).toBe('gzip');
    const [, refused] = await coldLoad({ ...BROWSER, 'accept-encoding': 'br;q=0, gzip;q=0' });
    expect(refused!.headers['content-encoding']).toBeUndefined();
    expect(refused!.headers.vary).toMatch(/accept-encoding/i);
  });

  it('publishes no source maps', async () => {
    const files = await readdir(dir, { recursive: true });
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    const [, script] = await coldLoad(BROWSER);
    expect(script!.body.toString()).not.toContain('sourceMappingURL');
    const js = files.find((f) => f.endsWith('.js'))!;
    expect((await get(`/${js}.map`, { accept: '*/*' })).status).toBe(404);
  });
});
