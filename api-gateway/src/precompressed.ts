import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';

export type Encoding = 'br' | 'gzip';

export interface Compressed {
  br: Buffer;
  gzip: Buffer;
  /** Of the uncompressed bytes: each encoding's ETag derives from it. */
  hash: string;
  mtime: Date;
}

/** Text the browser downloads with every cold load; images and fonts are compressed already. */
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.svg', '.json', '.webmanifest', '.txt', '.xml']);
/** Below this, headers outweigh any saving. */
const MIN_BYTES = 256;
/** Above this a file is served as it is: the UI's files are far smaller, and memory is bounded. */
const MAX_BYTES = 8 * 1024 * 1024;

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

/**
 * Brotli and gzip versions of the UI's text files, made once per file version and kept in
 * memory (the built UI is a few hundred KB; its directory may be read-only, as in the
 * container). `warm` compresses everything at start in the background; a file that changes
 * (a rebuild under a running gateway) is compressed again on its first request.
 */
export class PrecompressedFiles {
  /** Per file, its latest version only (`stamp`: mtime and size). */
  private readonly cache = new Map<string, { stamp: string; entry: Promise<Compressed | null> }>();

  /** Compress every compressible file under `dir`, one at a time (start-up must not hog the CPU). */
  async warm(dir: string): Promise<void> {
    let entries: string[];
    try {
      entries = await readdir(dir, { recursive: true });
    } catch {
      return; // no build (yet)
    }
    for (const entry of entries) await this.get(path.join(dir, entry));
  }

  /** The compressed versions of `file`, or null when it is not worth compressing (or not a file). */
  async get(file: string): Promise<Compressed | null> {
    if (!COMPRESSIBLE.has(path.extname(file).toLowerCase())) return null;
    const info = await stat(file).catch(() => null);
    if (!info?.isFile() || info.size < MIN_BYTES || info.size > MAX_BYTES) return null;
    const stamp = `${info.mtimeMs}:${info.size}`;
    const cached = this.cache.get(file);
    if (cached?.stamp === stamp) return cached.entry;
    const entry = compress(file, info.mtime).catch(() => null);
    this.cache.set(file, { stamp, entry });
    return entry;
  }
}

async function compress(file: string, mtime: Date): Promise<Compressed> {
  const raw = await readFile(file);
  const [br, gz] = await Promise.all([
    brotli(raw, {
      params: {
        [zlib.constants.BROTLI_PARAM_QUALITY]: zlib.constants.BROTLI_MAX_QUALITY,
        [zlib.constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
      },
    }),
    gzip(raw, { level: zlib.constants.Z_BEST_COMPRESSION }),
  ]);
  return { br, gzip: gz, hash: createHash('sha1').update(raw).digest('base64url').slice(0, 16), mtime };
}

/**
 * The encoding to send for an `Accept-Encoding` header: brotli when acceptable, else gzip,
 * else none. Our preference decides between acceptable ones (browsers list gzip first but
 * brotli is smaller); `q=0` refuses one, `*` accepts any not named.
 */
export function negotiateEncoding(header: string | undefined): Encoding | null {
  if (!header) return null;
  const q = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const value = qParam ? Number(qParam.slice(2)) : 1;
    q.set(name.trim(), Number.isFinite(value) ? value : 0);
  }
  const accepts = (enc: Encoding) => (q.get(enc) ?? q.get('*') ?? 0) > 0;
  if (accepts('br')) return 'br';
  if (accepts('gzip')) return 'gzip';
  return null;
}
