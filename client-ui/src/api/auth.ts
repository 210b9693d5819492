import {
  authResponseSchema,
  userResponseSchema,
  type AuthResponse,
  type LoginBody,
  type PublicUser,
  type RegisterBody,
} from '@chat/contracts';
import { requestJson } from './http.js';

export function register(body: RegisterBody): Promise<AuthResponse> {
  return requestJson('/auth/register', { method: 'POST', body, schema: authResponseSchema });
}

export function login(body: LoginBody): Promise<AuthResponse> {
  return requestJson('/auth/login', { method: 'POST', body, schema: authResponseSchema });
}

export async function fetchMe(token: string): Promise<PublicUser> {
  return (await requestJson('/auth/me', { token, schema: userResponseSchema })).user;
}

export async function findUser(token: string, username: string): Promise<PublicUser> {
  const path = `/auth/users/${encodeURIComponent(username)}`;
  return (await requestJson(path, { token, schema: userResponseSchema })).user;
}

/** A fresh token of the same session (DESIGN.md §2); 401 once the session's lifetime is over. */
export function refreshSession(token: string): Promise<AuthResponse> {
  return requestJson('/auth/refresh', { method: 'POST', token, schema: authResponseSchema });
}
