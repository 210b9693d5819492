import type { Attachment } from '@chat/contracts';
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MessageAttachments } from '../src/components/MessageAttachments.js';
import { ReaderContext } from '../src/files/file-access.js';

/**
 * A message reaches the room before message-service has stored it, and until then its files
 * answer 403 to everyone but the uploader: the previews and downloads wait for it.
 */
const photo: Attachment = { id: 'f1', name: 'photo.png', size: 2048, contentType: 'image/png' };
const report: Attachment = { id: 'f2', name: 'report.pdf', size: 4096, contentType: 'application/pdf' };
const reader = { username: 'bob', token: () => 'tok', onUnauthorized: () => undefined };

const refused = (status: number) =>
  new Response(JSON.stringify({ error: { code: status === 403 ? 'FORBIDDEN' : 'NOT_FOUND', message: 'no' } }), {
    status,
    headers: { 'content-type': 'application/json' },
  });
const bytes = () => new Response(new Blob(['png bytes'], { type: 'image/png' }), { status: 200 });

let answers: (() => Response)[];
const fetchFile = vi.fn(async () => (answers.shift() ?? (() => refused(403)))());

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  fetchFile.mockClear();
  vi.stubGlobal('fetch', fetchFile);
  // No viewport to come near in happy-dom: the hook fetches at once without an observer.
  vi.stubGlobal('IntersectionObserver', undefined);
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

const settle = (ms = 0) => act(() => vi.advanceTimersByTimeAsync(ms));

function show(files: Attachment[]) {
  render(
    <ReaderContext value={reader}>
      <MessageAttachments files={files} />
    </ReaderContext>,
  );
}

const box = () => screen.getByTestId('attachment-image');

describe('a just-delivered file, not yet readable', () => {
  it('the preview keeps loading through 403s, then shows the image once the message is stored', async () => {
    answers = [() => refused(403), () => refused(403), bytes];
    show([photo]);
    await settle();
    expect(fetchFile).toHaveBeenCalledTimes(1);
    expect(box().dataset.state).toBe('loading');
    expect(box().getAttribute('aria-busy')).toBe('true');
    await settle(150);
    expect(fetchFile).toHaveBeenCalledTimes(2);
    expect(box().dataset.state).toBe('loading');
    await settle(300);
    expect(fetchFile).toHaveBeenCalledTimes(3);
    expect(box().dataset.state).toBe('ready');
    expect(screen.getByRole('img', { name: 'photo.png' }).getAttribute('src')).toMatch(/^blob:/);
    expect(fetchFile).toHaveBeenCalledWith(
      '/files/f1',
      expect.objectContaining({ headers: { authorization: 'Bearer tok' } }),
    );
  });

  it('gives up after ~5 s with a failed box that tries again when pressed', async () => {
    answers = [];
    show([photo]);
    await settle(4_600);
    expect(box().dataset.state).toBe('loading');
    await settle(100);
    expect(fetchFile).toHaveBeenCalledTimes(6);
    const failed = screen.getByRole('button', { name: 'Image could not be loaded. Try again: photo.png (2 KB)' });
    expect(failed.textContent).toBe('Image could not be loaded. Try again');
    expect(failed.getAttribute('aria-haspopup')).toBeNull();

    answers = [bytes];
    fireEvent.click(failed);
    await settle();
    expect(fetchFile).toHaveBeenCalledTimes(7);
    expect(box().dataset.state).toBe('ready');
    expect(screen.queryByTestId('lightbox')).toBeNull();
  });

  it('another refusal (404) fails at once: only 403 means "not stored yet"', async () => {
    answers = [() => refused(404)];
    show([photo]);
    await settle();
    expect(box().dataset.state).toBe('failed');
    await settle(5_000);
    expect(fetchFile).toHaveBeenCalledTimes(1);
  });

  it('a download pressed before the message is stored waits, busy, and then saves the file', async () => {
    const saved: string[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      saved.push(this.download);
    });
    answers = [() => refused(403), bytes];
    show([report]);
    const button = screen.getByRole('button', { name: 'Download report.pdf' });
    fireEvent.click(button);
    await settle();
    expect(button.getAttribute('aria-busy')).toBe('true');
    await settle(150);
    expect(saved).toEqual(['report.pdf']);
    expect(button.getAttribute('aria-busy')).toBe('false');
    expect(button.getAttribute('aria-label')).toBe('Download report.pdf');
  });
});
