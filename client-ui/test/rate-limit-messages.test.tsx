import { cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, requestJson } from '../src/api/http.js';
import { describeWait } from '../src/api/wait.js';
import { AuthScreen } from '../src/components/AuthScreen.js';
import { SendLimitBanner } from '../src/components/SendLimitBanner.js';
import { z } from 'zod';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const answer = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  vi.stubGlobal(
    'fetch',
    vi.fn(
      async () =>
        new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } }),
    ),
  );

const failure = (p: Promise<unknown>) =>
  p.then(
    () => expect.fail('should fail'),
    (err: unknown) => err as ApiError,
  );

describe('rate limits say how long to wait', () => {
  it('reads the wait from the error body, else from Retry-After', async () => {
    answer(429, { error: { code: 'RATE_LIMITED', message: 'slow down', retryAfterSec: 3360 } });
    expect((await failure(requestJson('/auth/login', { schema: z.unknown() }))).retryAfterSec).toBe(3360);
    answer(429, { error: { code: 'RATE_LIMITED', message: 'slow down' } }, { 'retry-after': '42' });
    const err = await failure(requestJson('/auth/login', { schema: z.unknown() }));
    expect(err).toMatchObject({ code: 'RATE_LIMITED', retryAfterSec: 42 });
    answer(429, 'not json', { 'retry-after': '7' });
    expect(await failure(requestJson('/auth/login', { schema: z.unknown() }))).toMatchObject({
      code: 'RATE_LIMITED',
      retryAfterSec: 7,
    });
  });

  it('words a wait as people say it, never too short', () => {
    expect([1, 23, 60, 89, 90, 3360, 3600, 3601, 7200].map(describeWait)).toEqual([
      '1 s',
      '23 s',
      '60 s',
      '89 s',
      '2 minutes',
      '56 minutes',
      '1 hour',
      '2 hours',
      '2 hours',
    ]);
  });

  it('the login form shows the real wait', async () => {
    const login = vi.fn(async () => {
      throw new ApiError(429, 'RATE_LIMITED', 'too many failed logins', undefined, 3360);
    });
    render(<AuthScreen onSignedIn={vi.fn()} api={{ login, register: vi.fn() }} />);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Username'), 'ada');
    await user.type(screen.getByLabelText('Password'), 'correct horse');
    await user.click(within(screen.getByRole('form', { name: 'Log in' })).getByRole('button', { name: 'Log in' }));
    expect(await screen.findByText('Too many attempts. Try again in 56 minutes.')).toBeTruthy();
  });

  it('the send-limit banner counts down', async () => {
    render(<SendLimitBanner until={Date.now() + 2_500} />);
    expect(screen.getByTestId('send-limit').textContent).toMatch(/you can send again in 3 s\.$/);
    await vi.waitFor(() => expect(screen.getByTestId('send-limit').textContent).toMatch(/in 2 s\.$/), {
      timeout: 2_000,
    });
  });
});
