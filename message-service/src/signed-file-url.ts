import { createHmac, timingSafeEqual } from 'node:crypto';

/** What a signed download URL carries besides the file id: `?exp=<unix s>&sig=<base64url HMAC>`. */
export interface FileUrlSignature {
  exp: number;
  sig: string;
}

/**
 * Short-lived download URLs for `<img src>` and links, which cannot send the bearer token:
 * an HMAC-SHA256 (FILE_URL_SECRET) over the file id and the expiry, so a URL opens that file
 * only, and only until `exp`. Whoever holds the URL may read the file until then, as with any
 * capability link; FILE_URL_TTL_SEC (≤ 10 min) bounds it.
 */
export class FileUrlSigner {
  constructor(
    private readonly secret: string,
    private readonly ttlSec: number,
  ) {}

  sign(fileId: string, nowMs = Date.now()): FileUrlSignature {
    const exp = Math.floor(nowMs / 1000) + this.ttlSec;
    return { exp, sig: this.mac(fileId, exp) };
  }

  /** `/files/<id>?exp=..&sig=..`, the path the gateway serves it under. */
  url(fileId: string, nowMs = Date.now()): { url: string; expiresAt: string } {
    const { exp, sig } = this.sign(fileId, nowMs);
    return { url: `/files/${fileId}?exp=${exp}&sig=${sig}`, expiresAt: new Date(exp * 1000).toISOString() };
  }

  /** Whether `sig` was issued by us for this file and `exp` has not passed. */
  verify(fileId: string, exp: number, sig: string, nowMs = Date.now()): boolean {
    if (!Number.isSafeInteger(exp) || exp * 1000 <= nowMs) return false;
    const want = Buffer.from(this.mac(fileId, exp));
    const got = Buffer.from(sig);
    return got.length === want.length && timingSafeEqual(got, want);
  }

  private mac(fileId: string, exp: number): string {
    return createHmac('sha256', this.secret).update(`file:${fileId}:${exp}`).digest('base64url');
  }
}
