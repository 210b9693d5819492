import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { freePort, startServiceProcess, useIsolation, type ServiceProcess } from '@chat/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, download, PNG_BYTES, rawPost, upload } from '../../message-service/test/files-helpers.js';
import { mainEnv, tokenFor, userId } from '../../message-service/test/helpers.js';
import { deadUrl, startGateway } from './harness.js';
import { startGatewayProcess, type GatewayProcess } from './gateway-process.js';

/**
 * Files through the real gateway and message-service processes (as deployed): a 20 MiB upload
 * and download byte-exact with both processes' RSS sampled throughout, the limits enforced at
 * the gateway, and message-service's protective headers reaching the client unchanged.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MiB = 1024 * 1024;
const iso = useIsolation('gateway-files');
let messages: ServiceProcess;
let gw: GatewayProcess;
const alice = userId();
const aliceToken = tokenFor(alice);
const bobToken = tokenFor(userId());

beforeAll(async () => {
  const port = await freePort();
  messages = await startServiceProcess({
    name: 'message-service',
    entry: 'message-service/src/main.ts',
    cwd: ROOT,
    port,
    env: {
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      ...mainEnv(iso()),
      FILE_URL_SECRET: randomBytes(32).toString('hex'),
      UPLOAD_RATE_LIMIT_PER_MIN: '1000',
    },
  });
  const nowhere = await deadUrl();
  gw = await startGatewayProcess({
    LOG_LEVEL: 'info', // startGatewayProcess waits for the 'listening' line
    MESSAGE_SERVICE_URL: messages.url,
    USER_SERVICE_URL: nowhere,
    CHAT_SERVICE_URLS: nowhere,
  });
}, 90_000);
afterAll(async () => {
  await gw?.stop();
  await messages?.stop();
});

/** Resident set size of a process, from /proc (Linux). */
function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

/** Samples both processes' RSS every 25 ms until stopped: the peaks, and the values at the start. */
function sampleRss() {
  const pids = { gateway: gw.child.pid!, messages: messages.child().pid! };
  const start = { gateway: rssMiB(pids.gateway), messages: rssMiB(pids.messages) };
  const peak = { ...start };
  const timer = setInterval(() => {
    peak.gateway = Math.max(peak.gateway, rssMiB(pids.gateway));
    peak.messages = Math.max(peak.messages, rssMiB(pids.messages));
  }, 25);
  return {
    stop: () => {
      clearInterval(timer);
      return { start, peak };
    },
  };
}

/** `size` random bytes written as a multipart upload, chunk by chunk as the socket takes them; the sha256 of the file. */
function streamUpload(
  base: string,
  token: string,
  size: number,
): Promise<{ status: number; body: { file?: { id: string; size: number } }; sha256: string; seconds: number }> {
  const boundary = `b${randomBytes(8).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const hash = createHash('sha256');
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${base}/files`,
      {
        method: 'POST',
        headers: {
          ...bearer(token),
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': String(head.length + size + tail.length),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: JSON.parse(text) as { file?: { id: string; size: number } },
            sha256: hash.digest('hex'),
            seconds: Number(process.hrtime.bigint() - started) / 1e9,
          }),
        );
      },
    );
    req.on('error', reject);
    req.write(head);
    let sent = 0;
    const writeMore = () => {
      while (sent < size) {
        const n = Math.min(256 * 1024, size - sent);
        const block = randomBytes(n);
        hash.update(block);
        sent += n;
        if (!req.write(block)) return void req.once('drain', writeMore);
      }
      req.end(tail);
    };
    writeMore();
  });
}

/** GET through the gateway, hashing as it streams (never all in memory). */
function streamDownload(
  base: string,
  path: string,
  token: string,
): Promise<{ status: number; size: number; sha256: string; seconds: number }> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    http
      .get(`${base}${path}`, { headers: bearer(token) }, (res) => {
        const hash = createHash('sha256');
        let size = 0;
        res.on('data', (d: Buffer) => {
          size += d.length;
          hash.update(d);
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            size,
            sha256: hash.digest('hex'),
            seconds: Number(process.hrtime.bigint() - started) / 1e9,
          }),
        );
      })
      .on('error', reject);
  });
}

describe('files through the gateway', () => {
  it('round-trips 20 MiB byte-exact, streamed: both processes stay small', async () => {
    const size = 20 * MiB;
    const rss = sampleRss();
    const up = await streamUpload(gw.url, aliceToken, size);
    const down = await streamDownload(gw.url, `/files/${up.body.file?.id}`, aliceToken);
    const { start, peak } = rss.stop();
    expect(up.status).toBe(201);
    expect(up.body.file?.size).toBe(size);
    expect(down.status).toBe(200);
    expect(down.size).toBe(size);
    expect(down.sha256).toBe(up.sha256);
    const figures = {
      uploadMiBps: +(20 / up.seconds).toFixed(1),
      downloadMiBps: +(20 / down.seconds).toFixed(1),
      gatewayRssMiB: { start: +start.gateway.toFixed(0), peak: +peak.gateway.toFixed(0) },
      messageServiceRssMiB: { start: +start.messages.toFixed(0), peak: +peak.messages.toFixed(0) },
    };
    // The figures for the record (README.md "Files"): throughput and memory during the round trip.
    // eslint-disable-next-line no-console
    console.log(`files through the gateway: ${JSON.stringify(figures)}`);
    // Generous (garbage from 80 chunk writes and reads counts too): holding the body and a copy of it would exceed it.
    expect(peak.gateway - start.gateway).toBeLessThan(64);
    expect(peak.messages - start.messages).toBeLessThan(64);
  }, 120_000);

  it('refuses a declared length above the limit at the gateway, before the body (413, JSON)', async () => {
    const res = await rawPost(
      gw.url,
      '/files',
      { ...bearer(aliceToken), 'content-type': 'multipart/form-data; boundary=b', 'content-length': String(26 * MiB) },
      '--b\r\n',
      { endEarly: true },
    );
    expect(res.status).toBe(413);
    expect(JSON.parse(res.text)).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
  });

  it('answers 413 for a file just above MAX_UPLOAD_BYTES (message-service counts the part)', async () => {
    const over = await upload(gw.url, aliceToken, Buffer.alloc(25 * MiB + 1, 1));
    expect(over.status).toBe(413);
    expect(over.body.error?.code).toBe('PAYLOAD_TOO_LARGE');
  }, 60_000);

  it('401 without a token, 403 for another user, ranges, and the file headers unchanged by the gateway', async () => {
    expect((await upload(gw.url, undefined, 'x')).status).toBe(401);
    const { body } = await upload(gw.url, aliceToken, PNG_BYTES, 'p.png');
    const id = body.file!.id;
    expect((await download(gw.url, `/files/${id}`)).status).toBe(401);
    expect((await download(gw.url, `/files/${id}`, bearer(bobToken))).status).toBe(403);
    const part = await download(gw.url, `/files/${id}`, { ...bearer(aliceToken), range: 'bytes=0-7' });
    expect(part.status).toBe(206);
    expect(part.bytes.equals(PNG_BYTES.subarray(0, 8))).toBe(true);
    expect(Object.fromEntries(part.headers)).toMatchObject({
      'content-range': `bytes 0-7/${PNG_BYTES.length}`,
      'content-security-policy': "default-src 'none'; sandbox",
      'x-content-type-options': 'nosniff',
      'content-disposition': expect.stringMatching(/^inline; /),
    });
    expect((await download(gw.url, `/files/${id}`, { ...bearer(aliceToken), range: 'bytes=999-' })).status).toBe(416);
    const signed = await download(gw.url, body.url!);
    expect(signed.status).toBe(200);
    expect(signed.bytes.equals(PNG_BYTES)).toBe(true);
  });

  it('gives an upload UPLOAD_TIMEOUT_MS, not the upstream timeout: a slow body still arrives', async () => {
    // The upstream timeout (here 300 ms) runs from forwarding until message-service answers,
    // which for an upload is after the last byte: a slow link must not be cut by it.
    const slow = await startGateway({
      messageServiceUrl: messages.url,
      upstreamTimeoutMs: 300,
      uploadTimeoutMs: 60_000,
    });
    try {
      const boundary = 'slowb';
      const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.bin"\r\n\r\n`;
      const tail = `\r\n--${boundary}--\r\n`;
      const pieces = Array.from({ length: 8 }, () => randomBytes(16 * 1024));
      const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = http.request(
          `${slow.url}/files`,
          {
            method: 'POST',
            headers: {
              ...bearer(aliceToken),
              'content-type': `multipart/form-data; boundary=${boundary}`,
              'content-length': String(head.length + 8 * 16 * 1024 + tail.length),
            },
          },
          (res) => {
            let text = '';
            res.on('data', (d: Buffer) => (text += d.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          },
        );
        req.on('error', reject);
        req.write(head);
        let i = 0;
        const timer = setInterval(() => {
          if (i < pieces.length) return void req.write(pieces[i++]);
          clearInterval(timer);
          req.end(tail);
        }, 200);
      });
      expect(answer.status, answer.text).toBe(201);
      expect(JSON.parse(answer.text).file.size).toBe(8 * 16 * 1024);
    } finally {
      await slow.close();
    }
  });

  it('keeps the path hardening on /files', async () => {
    // Sent byte for byte: fetch would resolve the dot segment itself.
    const dotted = await new Promise<number>((resolve, reject) =>
      http
        .get(`${gw.url}/`, { path: '/files/../metrics' }, (res) => resolve(res.resume().statusCode ?? 0))
        .on('error', reject),
    );
    expect(dotted).toBe(400);
    const res = await download(gw.url, '/files/metrics', bearer(aliceToken));
    expect(res.status).toBe(404);
    expect(JSON.parse(res.bytes.toString())).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });
});
