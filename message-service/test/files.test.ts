import { randomBytes, randomUUID } from 'node:crypto';
import { dmRoomId, fileRecordSchema, sharedKeys, uploadResponseSchema } from '@chat/contracts';
import { useIsolation } from '@chat/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMongoMessageStore } from '../src/message-store.js';
import { FileUrlSigner } from '../src/signed-file-url.js';
import { bearer, download, multipart, PNG_BYTES, rawPost, upload } from './files-helpers.js';
import {
  asEvents,
  makeMessage,
  metricValue,
  startService,
  tokenFor,
  userId,
  waitFor,
  type RunningService,
} from './helpers.js';

const iso = useIsolation('ms-files');
const SECRET = randomBytes(32).toString('hex');
const MAX = 256 * 1024;
let service: RunningService;
const alice = userId();
const bob = userId();
const carol = userId();
const aliceToken = tokenFor(alice);
const bobToken = tokenFor(bob);
const carolToken = tokenFor(carol);

beforeAll(async () => {
  service = await startService(iso(), {
    consume: false,
    env: { FILE_URL_SECRET: SECRET, MAX_UPLOAD_BYTES: String(MAX), UPLOAD_RATE_LIMIT_PER_MIN: '40' },
  });
  await createMongoMessageStore(service.mongo).ensureIndexes();
});
afterAll(async () => {
  await service?.close();
});

const storedFileCount = () => service.mongo.db!.collection('uploads.files').countDocuments({});
const storedChunkCount = () => service.mongo.db!.collection('uploads.chunks').countDocuments({});

describe('POST /files', () => {
  it('stores the file, answers its description and a signed URL, and records it in Redis for chat-service', async () => {
    const { status, body } = await upload(service.url, aliceToken, PNG_BYTES, 'cat.png', 'image/png');
    expect(status).toBe(201);
    expect(uploadResponseSchema.parse(body).file).toEqual({
      id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      name: 'cat.png',
      size: PNG_BYTES.length,
      contentType: 'image/png',
    });
    expect(body.url).toMatch(new RegExp(`^/files/${body.file!.id}\\?exp=\\d+&sig=[A-Za-z0-9_-]{43}$`));
    const key = sharedKeys(iso().redisPrefix).fileRecord(body.file!.id);
    expect(fileRecordSchema.parse(JSON.parse((await service.redis.get(key))!))).toEqual({
      ...body.file,
      uploaderId: alice,
    });
    const ttl = await service.redis.ttl(key);
    expect(ttl).toBeGreaterThan(6 * 86_400);
    const doc = await service.mongo.db!.collection('uploads.files').findOne({ _id: body.file!.id as never });
    expect(doc?.metadata).toMatchObject({ uploaderId: alice, attached: false, messageIds: [] });
  });

  it('answers 401 without a valid token and stores nothing', async () => {
    const before = await storedFileCount();
    expect((await upload(service.url, undefined, 'x')).status).toBe(401);
    expect((await upload(service.url, 'not-a-token', 'x')).status).toBe(401);
    expect(await storedFileCount()).toBe(before);
  });

  it('types by content, never by the client: HTML named .png is no image; SVG and HTML are octet-stream', async () => {
    const cases: [Buffer | string, string, string, string][] = [
      ['<!doctype html><script>alert(1)</script>', 'evil.png', 'image/png', 'application/octet-stream'],
      ['<html><body>hi</body></html>', 'page.html', 'text/html', 'application/octet-stream'],
      [
        '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        'x.svg',
        'image/svg+xml',
        'application/octet-stream',
      ],
      ['hello, plain words — ünïcode', 'notes.txt', 'text/plain', 'text/plain; charset=utf-8'],
      [Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]), 'photo.bin', 'application/octet-stream', 'image/jpeg'],
      [Buffer.from('GIF89a......'), 'a.gif', 'image/gif', 'image/gif'],
      [Buffer.concat([Buffer.from('RIFF\0\0\0\0WEBPVP8 '), Buffer.alloc(20)]), 'a.webp', '', 'image/webp'],
      [Buffer.from('%PDF-1.7\n...'), 'doc.pdf', 'application/pdf', 'application/pdf'],
      [Buffer.from([0, 1, 2, 3, 0xfe]), 'blob', 'image/png', 'application/octet-stream'],
    ];
    for (const [bytes, name, claimed, sniffed] of cases) {
      const { status, body } = await upload(service.url, aliceToken, bytes, name, claimed);
      expect(status, name).toBe(201);
      expect(body.file!.contentType, name).toBe(sniffed);
    }
  });

  it('sanitises the name: no path, no control characters, at most 255 characters', async () => {
    const names: [string, string][] = [
      ['../../etc/passwd.txt', 'passwd.txt'],
      ['C:\\Users\\me\\report\u202Egnp.exe', 'reportgnp.exe'],
      ['..hidden', 'hidden'],
      ['   ', 'file'],
      [`${'a'.repeat(400)}.pdf`, `${'a'.repeat(251)}.pdf`],
    ];
    for (const [raw, want] of names) {
      const { status, body } = await upload(service.url, aliceToken, 'x', raw);
      expect(status, JSON.stringify(body)).toBe(201);
      expect(body.file!.name).toBe(want);
    }
    // Control characters cannot be sent raw in a part header, but RFC 5987 `filename*` can carry them.
    const raw = await rawPost(
      service.url,
      '/files',
      { ...bearer(aliceToken), 'content-type': 'multipart/form-data; boundary=B' },
      multipart('B', [
        {
          headers: [
            `Content-Disposition: form-data; name="file"; filename*=UTF-8''..%2F..%2Fevil%07%1B%0A%E2%80%AEname.txt`,
          ],
          body: 'x',
        },
      ]),
    );
    expect(raw.status).toBe(201);
    expect(JSON.parse(raw.text).file.name).toBe('evilname.txt');
  });

  it('answers 413 above MAX_UPLOAD_BYTES, declared or streamed, and keeps no part of the file', async () => {
    const files = await storedFileCount();
    const chunks = await storedChunkCount();
    const over = await upload(service.url, aliceToken, randomBytes(MAX + 1));
    expect(over.status).toBe(413);
    expect(over.body.error?.code).toBe('PAYLOAD_TOO_LARGE');
    // Declared far above the limit: refused before the body is read.
    const declared = await rawPost(
      service.url,
      '/files',
      { ...bearer(aliceToken), 'content-type': 'multipart/form-data; boundary=b', 'content-length': String(MAX * 4) },
      '--b\r\n',
      { endEarly: true },
    );
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.text)).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    const exact = await upload(service.url, aliceToken, randomBytes(MAX));
    expect(exact.status).toBe(201);
    expect(await storedFileCount()).toBe(files + 1);
    expect(await storedChunkCount()).toBe(chunks + Math.ceil(MAX / (255 * 1024)));
  });

  it('keeps nothing of an upload whose connection drops midway', async () => {
    const files = await storedFileCount();
    const chunks = await storedChunkCount();
    const invalidUploads = () => metricValue(service.svc, 'file_uploads_total', 'outcome="invalid"');
    const invalidBefore = await invalidUploads();
    const head = multipart('C', [
      { headers: ['Content-Disposition: form-data; name="file"; filename="cut.bin"'], body: randomBytes(200 * 1024) },
    ]).subarray(0, 150 * 1024);
    await rawPost(
      service.url,
      '/files',
      { ...bearer(aliceToken), 'content-type': 'multipart/form-data; boundary=C', 'content-length': String(MAX) },
      head,
      { endEarly: true },
    ).catch(() => undefined);
    // Counted once the store has removed what it wrote of the cut-off upload.
    await waitFor(async () => (await invalidUploads()) === invalidBefore + 1, 5_000, 'the upload refused');
    expect(await storedChunkCount()).toBe(chunks);
    expect(await storedFileCount()).toBe(files);
    expect((await fetch(`${service.url}/health`)).status).toBe(200);
  });

  describe('hostile multipart answers 400 and the service keeps serving', () => {
    const boundary = 'XyZ';
    const type = { 'content-type': `multipart/form-data; boundary=${boundary}` };
    const filePart = (name = 'file', body: string | Buffer = 'data') => ({
      headers: [`Content-Disposition: form-data; name="${name}"; filename="a.txt"`, 'Content-Type: text/plain'],
      body,
    });
    const cases: [string, Record<string, string>, Buffer | string][] = [
      [
        'no file part',
        type,
        multipart(boundary, [{ headers: ['Content-Disposition: form-data; name="x"'], body: 'v' }]),
      ],
      ['an empty form', type, `--${boundary}--\r\n`],
      ['two file parts', type, multipart(boundary, [filePart(), filePart()])],
      [
        'a field besides the file',
        type,
        multipart(boundary, [filePart(), { headers: ['Content-Disposition: form-data; name="x"'], body: 'v' }]),
      ],
      ['a file under another name', type, multipart(boundary, [filePart('upload')])],
      ['a truncated body', type, multipart(boundary, [filePart('file', 'x'.repeat(5000))]).subarray(0, 3000)],
      [
        'a huge part header',
        type,
        multipart(boundary, [
          { headers: [`Content-Disposition: form-data; name="file"; filename="${'a'.repeat(200_000)}"`], body: 'x' },
        ]),
      ],
      [
        'many part headers',
        type,
        multipart(boundary, [{ headers: Array.from({ length: 500 }, (_, i) => `X-H${i}: v`), body: 'x' }]),
      ],
      ['no boundary', { 'content-type': 'multipart/form-data' }, 'whatever'],
      ['not multipart', { 'content-type': 'application/json' }, '{"file":"x"}'],
      ['no content type', {}, 'raw bytes'],
    ];
    it.each(cases)('%s', async (_label, headers, body) => {
      const before = await storedFileCount();
      const res = await rawPost(service.url, '/files', { ...bearer(bobToken), ...headers }, body);
      expect(res.status).toBe(400);
      expect(JSON.parse(res.text)).toMatchObject({ error: { code: 'INVALID' } });
      expect(await storedFileCount()).toBe(before);
      expect((await fetch(`${service.url}/health`)).status).toBe(200);
    });
  });

  it('limits uploads per user per minute (429 RATE_LIMITED with retryAfterSec); others are not affected', async () => {
    const dave = tokenFor(userId());
    const answers = [];
    for (let i = 0; i < 41; i++) answers.push(await upload(service.url, dave, `n${i}`));
    expect(answers.slice(0, 40).every((a) => a.status === 201)).toBe(true);
    expect(answers[40]!.status).toBe(429);
    expect(answers[40]!.body.error).toMatchObject({ code: 'RATE_LIMITED', retryAfterSec: expect.any(Number) });
    expect(answers[40]!.body.error!.retryAfterSec).toBeGreaterThanOrEqual(1);
    expect(answers[40]!.body.error!.retryAfterSec).toBeLessThanOrEqual(60);
    expect((await upload(service.url, carolToken, 'mine')).status).toBe(201);
  });
});

describe('GET /files/:id', () => {
  const bytes = Buffer.concat([PNG_BYTES, randomBytes(1000)]);
  let id: string;
  let signedUrl: string;
  beforeAll(async () => {
    const { body } = await upload(service.url, aliceToken, bytes, 'pic.png');
    id = body.file!.id;
    signedUrl = body.url!;
  });

  it('streams the file to its uploader with length, ETag, ranges and the protective headers', async () => {
    const res = await download(service.url, `/files/${id}`, bearer(aliceToken));
    expect(res.status).toBe(200);
    expect(res.bytes.equals(bytes)).toBe(true);
    expect(Object.fromEntries(res.headers)).toMatchObject({
      'content-type': 'image/png',
      'content-length': String(bytes.length),
      etag: `"${id}"`,
      'accept-ranges': 'bytes',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
      'content-disposition': `inline; filename="pic.png"; filename*=UTF-8''pic.png`,
    });
    const again = await download(service.url, `/files/${id}`, { ...bearer(aliceToken), 'if-none-match': `"${id}"` });
    expect(again.status).toBe(304);
  });

  it('answers single ranges with 206 and impossible ones with 416', async () => {
    const cases: [string, number, number][] = [
      ['bytes=0-9', 0, 9],
      ['bytes=100-', 100, bytes.length - 1],
      ['bytes=-16', bytes.length - 16, bytes.length - 1],
      [`bytes=50-${bytes.length + 500}`, 50, bytes.length - 1],
    ];
    for (const [range, start, end] of cases) {
      const res = await download(service.url, `/files/${id}`, { ...bearer(aliceToken), range });
      expect(res.status, range).toBe(206);
      expect(res.headers.get('content-range')).toBe(`bytes ${start}-${end}/${bytes.length}`);
      expect(res.headers.get('content-length')).toBe(String(end - start + 1));
      expect(res.bytes.equals(bytes.subarray(start, end + 1)), range).toBe(true);
    }
    for (const range of [`bytes=${bytes.length}-`, 'bytes=20-10', 'bytes=-0', 'bytes=x-y', 'items=0-1']) {
      const res = await download(service.url, `/files/${id}`, { ...bearer(aliceToken), range });
      expect(res.status, range).toBe(416);
      expect(res.headers.get('content-range')).toBe(`bytes */${bytes.length}`);
    }
    // Several ranges: the whole file (RFC 9110 lets a server ignore them).
    const multi = await download(service.url, `/files/${id}`, { ...bearer(aliceToken), range: 'bytes=0-1,5-6' });
    expect(multi.status).toBe(200);
    expect(multi.bytes.length).toBe(bytes.length);
  });

  it('401 without a token, 404 for an unknown id, 400 for a malformed one', async () => {
    expect((await download(service.url, `/files/${id}`)).status).toBe(401);
    expect((await download(service.url, `/files/${'A'.repeat(22)}`, bearer(aliceToken))).status).toBe(404);
    expect((await download(service.url, `/files/bad.id`, bearer(aliceToken))).status).toBe(400);
  });

  it('403 for someone who neither uploaded it nor may read a room where a message carries it', async () => {
    const res = await download(service.url, `/files/${id}`, bearer(bobToken));
    expect(res.status).toBe(403);
    expect(JSON.parse(res.bytes.toString())).toMatchObject({ error: { code: 'FORBIDDEN' } });
    expect((await download(service.url, `/files/${id}/url`, bearer(bobToken))).status).toBe(403);
  });

  it('opens to the members of a room where a stored message carries it (dm: its two members only)', async () => {
    const { body } = await upload(service.url, aliceToken, 'shared in a dm', 'dm.txt');
    const file = body.file!;
    const dm = dmRoomId(alice, bob);
    await createMongoMessageStore(service.mongo).writeBatch(
      asEvents([makeMessage({ roomId: dm, seq: 1, senderId: alice, attachments: [file] })]),
    );
    expect((await download(service.url, `/files/${file.id}`, bearer(bobToken))).status).toBe(200);
    expect((await download(service.url, `/files/${file.id}`, bearer(carolToken))).status).toBe(403);
    const pub = await upload(service.url, aliceToken, 'shared in public', 'pub.txt');
    await createMongoMessageStore(service.mongo).writeBatch(
      asEvents([
        makeMessage({ roomId: `room-${randomUUID()}`, seq: 1, senderId: alice, attachments: [pub.body.file!] }),
      ]),
    );
    expect((await download(service.url, `/files/${pub.body.file!.id}`, bearer(carolToken))).status).toBe(200);
  });

  it('serves HTML and SVG with script as attachments, with nosniff and a sandboxing CSP', async () => {
    for (const [content, name] of [
      ['<!doctype html><script>alert(document.cookie)</script>', 'page.html'],
      ['<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>', 'pic.svg'],
      ['<!doctype html><script>alert(1)</script>', 'looks-like.png'],
    ]) {
      const { body } = await upload(service.url, aliceToken, content!, name!, 'image/png');
      const res = await download(service.url, `/files/${body.file!.id}`, bearer(aliceToken));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/octet-stream');
      expect(res.headers.get('content-disposition')).toMatch(/^attachment; /);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
    }
  });

  it('offers a non-ASCII name as RFC 5987 filename* with an ASCII fallback', async () => {
    const { body } = await upload(service.url, aliceToken, Buffer.from([1, 2, 3]), 'résumé final;1.bin');
    const res = await download(service.url, `/files/${body.file!.id}`, bearer(aliceToken));
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="r_sum_ final;1.bin"; filename*=UTF-8''r%C3%A9sum%C3%A9%20final%3B1.bin`,
    );
  });

  describe('signed URLs', () => {
    const signer = new FileUrlSigner(SECRET, 300);

    it('open the file without a token, with a cache lifetime within the link', async () => {
      const res = await download(service.url, signedUrl);
      expect(res.status).toBe(200);
      expect(res.bytes.equals(bytes)).toBe(true);
      expect(res.headers.get('cache-control')).toMatch(/^private, max-age=(\d+)$/);
      expect(Number(/max-age=(\d+)/.exec(res.headers.get('cache-control')!)![1])).toBeLessThanOrEqual(300);
    });

    it('are issued by GET /files/:id/url to whoever may read the file', async () => {
      const res = await fetch(`${service.url}/files/${id}/url`, { headers: bearer(aliceToken) });
      const { url, expiresAt } = (await res.json()) as { url: string; expiresAt: string };
      expect(Date.parse(expiresAt) - Date.now()).toBeLessThanOrEqual(300_000);
      expect((await download(service.url, url)).status).toBe(200);
    });

    it('expire', async () => {
      const { exp, sig } = signer.sign(id, Date.now() - 301_000);
      const res = await download(service.url, `/files/${id}?exp=${exp}&sig=${sig}`);
      expect(res.status).toBe(403);
      const live = signer.sign(id);
      expect((await download(service.url, `/files/${id}?exp=${live.exp}&sig=${live.sig}`)).status).toBe(200);
    });

    it('are bound to their file and their expiry', async () => {
      const other = (await upload(service.url, aliceToken, 'other', 'o.txt')).body.file!.id;
      const { exp, sig } = signer.sign(id);
      expect((await download(service.url, `/files/${other}?exp=${exp}&sig=${sig}`)).status).toBe(403);
      expect((await download(service.url, `/files/${id}?exp=${exp + 600}&sig=${sig}`)).status).toBe(403);
      const forged = new FileUrlSigner('another secret of at least 32 characters', 300).sign(id);
      expect((await download(service.url, `/files/${id}?exp=${forged.exp}&sig=${forged.sig}`)).status).toBe(403);
      expect((await download(service.url, `/files/${id}?exp=${exp}`)).status).toBe(400);
    });
  });
});
