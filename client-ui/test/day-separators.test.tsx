import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MessageList } from '../src/components/MessageList.js';
import { emptyTimeline } from '../src/messages/timeline.js';
import { message } from './fixtures.js';

beforeEach(() => {
  // Only Date: React and the list's effects keep their real timers.
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date(2026, 10, 30, 9, 0)); // Monday, November 30, 2026
});
afterEach(() => {
  vi.useRealTimers();
  cleanup();
});

const at = (month: number, day: number, year = 2026) => new Date(year, month - 1, day, 12, 0).toISOString();

describe('MessageList day separators', () => {
  it('name each day: Today, Yesterday, a weekday within the week, then the date, with the year when not this one', () => {
    const days = [at(3, 14, 2025), at(11, 2), at(11, 26), at(11, 29), at(11, 30)];
    const messages = days.map((createdAt, i) => message(i + 1, { createdAt }));
    render(
      <MessageList
        label="Messages in #general"
        beginning="This is the beginning of #general."
        timeline={{ ...emptyTimeline, messages, lastSeq: messages.length }}
        loading={false}
        loadingOlder={false}
        meId="me"
        onLoadOlder={() => undefined}
        onRetry={() => undefined}
      />,
    );
    const separators = screen.getAllByTestId('day-separator').map((el) => el.querySelector('time')!);
    expect(separators.map((t) => t.textContent)).toEqual([
      'Friday, March 14, 2025',
      'Monday, November 2',
      'Thursday',
      'Yesterday',
      'Today',
    ]);
    expect(separators.map((t) => t.getAttribute('datetime'))).toEqual([
      '2025-03-14',
      '2026-11-02',
      '2026-11-26',
      '2026-11-29',
      '2026-11-30',
    ]);
  });
});
