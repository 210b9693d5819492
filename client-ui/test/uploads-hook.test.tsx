import { cleanup, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UploadTray } from '../src/components/UploadTray.js';
import { ReaderContext } from '../src/files/file-access.js';
import { useUploads, type Uploads } from '../src/files/use-uploads.js';
import { act } from 'react';

/** An XMLHttpRequest the test drives: progress, answer, abort. */
class FakeXhr {
  static all: FakeXhr[] = [];
  upload: { onprogress: ((e: { loaded: number }) => void) | null } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  status = 0;
  responseText = '';
  responseType = '';
  headers: Record<string, string> = {};
  aborted = false;
  sent: FormData | undefined;
  constructor() {
    FakeXhr.all.push(this);
  }
  open() {}
  setRequestHeader(name: string, value: string) {
    this.headers[name] = value;
  }
  send(body: FormData) {
    this.sent = body;
  }
  abort() {
    this.aborted = true;
    this.onabort?.();
  }
  answer(status: number, body: unknown) {
    this.status = status;
    this.responseText = JSON.stringify(body);
    this.onload?.();
  }
}

const realXhr = globalThis.XMLHttpRequest;
beforeEach(() => {
  FakeXhr.all = [];
  globalThis.XMLHttpRequest = FakeXhr as unknown as typeof XMLHttpRequest;
});
afterEach(() => {
  globalThis.XMLHttpRequest = realXhr;
  cleanup();
});

let uploads: Uploads;
function Harness() {
  uploads = useUploads();
  return <UploadTray uploads={uploads} />;
}
const reader = { username: 'bob', token: () => 'tok', onUnauthorized: () => undefined };
const flush = () => act(() => Promise.resolve());

function setup() {
  render(
    <ReaderContext value={reader}>
      <Harness />
    </ReaderContext>,
  );
}

describe('useUploads with the tray', () => {
  it('uploads with the token, shows progress, and is ready when the server answers', async () => {
    setup();
    const file = new File(['x'.repeat(100)], 'a.png', { type: 'image/png' });
    act(() => uploads.add([file]));
    const xhr = FakeXhr.all[0]!;
    expect(xhr.headers.authorization).toBe('Bearer tok');
    expect(xhr.sent?.get('file')).toBeInstanceOf(File);
    act(() => xhr.upload.onprogress?.({ loaded: 40 }));
    expect(screen.getByRole('progressbar', { name: 'Uploading a.png' }).getAttribute('aria-valuenow')).toBe('40');
    xhr.answer(201, { file: { id: 'f1', name: 'a.png', size: 100, contentType: 'image/png' } });
    await flush();
    expect(uploads.ready).toEqual([{ id: 'f1', name: 'a.png', size: 100, contentType: 'image/png' }]);
    expect(uploads.blocked).toBe(false);
  });

  it('cancel aborts the request and removes the file', async () => {
    setup();
    act(() => uploads.add([new File(['x'], 'a.pdf', { type: 'application/pdf' })]));
    await userEvent.setup().click(screen.getByRole('button', { name: 'Cancel upload of a.pdf' }));
    await flush();
    expect(FakeXhr.all[0]!.aborted).toBe(true);
    expect(uploads.items).toEqual([]);
  });

  it('a failure says why and blocks the send; Retry starts a new request', async () => {
    setup();
    act(() => uploads.add([new File(['x'], 'a.pdf', { type: 'application/pdf' })]));
    FakeXhr.all[0]!.answer(503, { error: { code: 'UPSTREAM_UNAVAILABLE', message: 'Storage is busy.' } });
    await flush();
    expect(screen.getByRole('alert').textContent).toContain('Storage is busy.');
    expect(uploads.blocked).toBe(true);
    await userEvent.setup().click(screen.getByRole('button', { name: 'Retry' }));
    await flush();
    expect(FakeXhr.all).toHaveLength(2);
    expect(uploads.items[0]!.status).toBe('uploading');
  });

  it('a file over the limit is refused without a request, and says the limit', async () => {
    setup();
    const big = new File(['x'], 'big.mov', { type: 'video/quicktime' });
    Object.defineProperty(big, 'size', { value: 26 * 1024 * 1024 });
    act(() => uploads.add([big]));
    await flush();
    expect(FakeXhr.all).toHaveLength(0);
    expect(screen.getByRole('alert').textContent).toContain('25 MB');
    expect(screen.queryByRole('button', { name: 'Retry' })).toBeNull();
  });
});
