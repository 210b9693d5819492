import { ATTACHMENTS_MAX, MAX_UPLOAD_BYTES_DEFAULT } from '@chat/contracts';
import { describe, expect, it } from 'vitest';
import {
  percentSent,
  readyAttachments,
  slotsLeft,
  uploadsReducer,
  type PendingUpload,
} from '../src/files/upload-queue.js';

const fileOf = (name: string, size: number, type = 'image/png') => {
  const file = new File(['x'], name, { type });
  Object.defineProperty(file, 'size', { value: size });
  return file;
};
const add = (state: readonly PendingUpload[], ...files: File[]) =>
  uploadsReducer(state, { type: 'add', uploads: files.map((file, i) => ({ key: `${state.length + i}`, file })) });
const record = (id: string) => ({ id, name: `${id}.png`, size: 10, contentType: 'image/png' });

describe('upload queue', () => {
  it('uploads a file, follows its progress and holds its record when done', () => {
    let s = add([], fileOf('a.png', 1000));
    expect(s[0]).toMatchObject({ status: 'uploading', sent: 0 });
    s = uploadsReducer(s, { type: 'progress', key: '0', sent: 400 });
    expect(percentSent(s[0]!)).toBe(40);
    // A late, lower progress event does not move the bar back.
    s = uploadsReducer(s, { type: 'progress', key: '0', sent: 100 });
    expect(s[0]!.sent).toBe(400);
    expect(readyAttachments(s)).toBeUndefined();
    s = uploadsReducer(s, { type: 'done', key: '0', file: record('f1') });
    expect(s[0]).toMatchObject({ status: 'done', sent: 1000 });
    expect(readyAttachments(s)).toEqual([record('f1')]);
  });

  it('refuses a file over 25 MiB before uploading it, for good', () => {
    const s = add([], fileOf('big.mov', MAX_UPLOAD_BYTES_DEFAULT + 1, 'video/quicktime'), fileOf('ok.png', 10));
    expect(s[0]).toMatchObject({ status: 'failed', retryable: false });
    expect(s[0]!.error).toMatch(/25 MB/);
    expect(s[1]!.status).toBe('uploading');
    expect(uploadsReducer(s, { type: 'retry', key: '0' })).toBe(s);
  });

  it('retries a failed upload from zero; a failure blocks the send until retried or removed', () => {
    let s = add([], fileOf('a.png', 100), fileOf('b.pdf', 100, 'application/pdf'));
    s = uploadsReducer(s, { type: 'done', key: '0', file: record('f1') });
    s = uploadsReducer(s, { type: 'progress', key: '1', sent: 50 });
    s = uploadsReducer(s, { type: 'failed', key: '1', error: 'Cannot reach the server.', retryable: true });
    expect(readyAttachments(s)).toBeUndefined();
    const retried = uploadsReducer(s, { type: 'retry', key: '1' });
    expect(retried[1]).toEqual({ key: '1', file: s[1]!.file, status: 'uploading', sent: 0 });
    const removed = uploadsReducer(s, { type: 'remove', key: '1' });
    expect(readyAttachments(removed)).toEqual([record('f1')]);
  });

  it('ignores answers for an upload no longer in flight (cancelled, or already failed)', () => {
    let s = add([], fileOf('a.png', 100));
    s = uploadsReducer(s, { type: 'remove', key: '0' });
    expect(uploadsReducer(s, { type: 'done', key: '0', file: record('f1') })).toBe(s);
    let t = add([], fileOf('a.png', 100));
    t = uploadsReducer(t, { type: 'failed', key: '0', error: 'x', retryable: true });
    expect(uploadsReducer(t, { type: 'done', key: '0', file: record('f1') })).toBe(t);
  });

  it('takes at most 10 files per message', () => {
    const many = Array.from({ length: ATTACHMENTS_MAX + 3 }, (_, i) => fileOf(`${i}.png`, 1));
    const s = add([], ...many);
    expect(s).toHaveLength(ATTACHMENTS_MAX);
    expect(slotsLeft(s)).toBe(0);
    expect(add(s, fileOf('more.png', 1))).toBe(s);
  });

  it('has nothing to send and nothing blocking when empty', () => {
    expect(readyAttachments([])).toEqual([]);
    expect(uploadsReducer([], { type: 'clear' })).toEqual([]);
  });
});
