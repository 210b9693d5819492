import http from 'node:http';

/** An upload or error answer of `POST /files`, as the tests look at it. */
export interface UploadAnswer {
  status: number;
  body: {
    file?: { id: string; name: string; size: number; contentType: string };
    url?: string;
    expiresAt?: string;
    error?: { code: string; message: string; retryAfterSec?: number };
  };
}

/** `POST /files` with one part `file` (fetch builds the multipart body). */
export async function upload(
  base: string,
  token: string | undefined,
  bytes: Buffer | string,
  name = 'file.bin',
  type = 'application/octet-stream',
): Promise<UploadAnswer> {
  const form = new FormData();
  form.append('file', new Blob([bytes], { type }), name);
  const res = await fetch(`${base}/files`, {
    method: 'POST',
    body: form,
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  return { status: res.status, body: (await res.json()) as UploadAnswer['body'] };
}

export async function download(
  base: string,
  pathAndQuery: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; bytes: Buffer }> {
  const res = await fetch(`${base}${pathAndQuery}`, { headers });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A request written byte for byte (a hostile multipart body fetch would not send), and its answer. */
export function rawPost(
  base: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer | string,
  opts: { endEarly?: boolean } = {},
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method: 'POST', headers }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.write(body);
    // endEarly: the declared length is never sent in full; the socket is closed under the request.
    if (opts.endEarly) setTimeout(() => req.destroy(), 200);
    else req.end();
  });
}

/** A multipart body from raw parts (each with its own headers). */
export function multipart(boundary: string, parts: { headers: string[]; body: Buffer | string }[]): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\n${part.headers.join('\r\n')}\r\n\r\n`));
    chunks.push(Buffer.isBuffer(part.body) ? part.body : Buffer.from(part.body));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

/** The smallest valid PNG signature plus a little data: sniffed as image/png. */
export const PNG_BYTES = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.alloc(100, 7),
]);
