import type { AuthResponse } from '@chat/contracts';
import { cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../src/api/http.js';
import { AuthScreen } from '../src/components/AuthScreen.js';

afterEach(cleanup);

const ok: AuthResponse = { user: { id: 'a'.repeat(24), username: 'ada', displayName: 'Ada' }, token: 't' };

function setup(api: { login?: () => Promise<AuthResponse>; register?: () => Promise<AuthResponse> }) {
  const onSignedIn = vi.fn();
  const calls = { login: vi.fn(api.login ?? (async () => ok)), register: vi.fn(api.register ?? (async () => ok)) };
  render(<AuthScreen onSignedIn={onSignedIn} api={calls} />);
  return { onSignedIn, calls, user: userEvent.setup() };
}

describe('AuthScreen', () => {
  it('shows the API field error under its field (username taken)', async () => {
    const { onSignedIn, user } = setup({
      register: async () => {
        throw new ApiError(409, 'CONFLICT', 'username is already taken', 'username');
      },
    });
    await user.click(screen.getByRole('button', { name: 'Sign up' }));
    await user.type(screen.getByLabelText('Username'), 'ada');
    await user.type(screen.getByLabelText('Password'), 'correct horse');
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    const error = await screen.findByTestId('username-error');
    expect(error.textContent).toBe('Username is already taken');
    expect(screen.getByLabelText('Username').getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByLabelText('Username').getAttribute('aria-describedby')).toContain(error.id);
    expect(onSignedIn).not.toHaveBeenCalled();
  });

  it('maps a nested API field name (body.password) to its input', async () => {
    const { user } = setup({
      register: async () => {
        throw new ApiError(400, 'INVALID', 'must be at most 72 bytes', 'body.password');
      },
    });
    await user.click(screen.getByRole('button', { name: 'Sign up' }));
    await user.type(screen.getByLabelText('Username'), 'ada');
    await user.type(screen.getByLabelText('Password'), 'long enough');
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    expect((await screen.findByTestId('password-error')).textContent).toBe('Must be at most 72 bytes');
  });

  it('checks fields with the contract schemas before calling the API', async () => {
    const { calls, user } = setup({});
    await user.click(screen.getByRole('button', { name: 'Sign up' }));
    await user.type(screen.getByLabelText('Username'), 'A!');
    await user.type(screen.getByLabelText('Password'), 'short');
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    expect(screen.getByTestId('username-error').textContent).toMatch(/3-32 characters/);
    expect(screen.getByTestId('password-error').textContent).toMatch(/at least 8/);
    expect(calls.register).not.toHaveBeenCalled();
  });

  it('a wrong password is a form error, and a good login signs in', async () => {
    let attempt = 0;
    const { onSignedIn, user } = setup({
      login: async () => {
        if (attempt++ === 0) throw new ApiError(401, 'UNAUTHORIZED', 'invalid credentials');
        return ok;
      },
    });
    await user.type(screen.getByLabelText('Username'), 'ada');
    await user.type(screen.getByLabelText('Password'), 'nope-nope');
    const submit = within(screen.getByRole('form', { name: 'Log in' })).getByRole('button', { name: 'Log in' });
    await user.click(submit);
    expect((await screen.findByRole('alert')).textContent).toBe('Wrong username or password.');
    await user.click(submit);
    expect(onSignedIn).toHaveBeenCalledWith(ok);
  });
});
