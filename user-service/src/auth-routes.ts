import {
  loginBodySchema,
  registerBodySchema,
  usernameParamsSchema,
  usersByIdsQuerySchema,
  type AuthResponse,
  type PublicUser,
  type UserResponse,
  type UsersResponse,
} from '@chat/contracts';
import { AppError, bearerToken, parseOrThrow, type Identity } from '@chat/service-kit';
import { Router, type Request, type RequestHandler } from 'express';
import { z } from 'zod';
import type { AttemptLimits } from './attempt-limits.js';
import type { Passwords } from './passwords.js';
import type { Tokens } from './tokens.js';
import { usernameTaken, type UserStore } from './users.js';

export interface AuthRouteDeps {
  users: UserStore;
  passwords: Passwords;
  tokens: Tokens;
  limits: AttemptLimits;
}

/** None of these routes takes a query; any (e.g. `?x[$ne]=`) is refused rather than ignored. */
const noQuerySchema = z.strictObject({});

const badCredentials = () => new AppError('UNAUTHORIZED', 'invalid username or password');

/** `/auth/*` as served through the gateway (DESIGN.md §2). */
export function authRouter(deps: AuthRouteDeps): Router {
  const { users, passwords, tokens, limits } = deps;
  const router = Router();
  const authenticated = requireIdentity(tokens);

  router.post('/auth/register', async (req, res) => {
    parseOrThrow(noQuerySchema, req.query, 'query');
    const body = parseOrThrow(registerBodySchema, req.body);
    await limits.beginRegistration(clientIp(req));
    // The unique index decides races; this only spares a bcrypt hash for a name already taken.
    if (await users.exists(body.username)) throw usernameTaken();
    const user = await users.create({
      username: body.username,
      displayName: body.displayName ?? body.username,
      passwordHash: await passwords.hash(body.password),
    });
    const answer: AuthResponse = { user, token: tokens.issue(user, tokens.startSession()) };
    res.status(201).json(answer);
  });

  router.post('/auth/login', async (req, res) => {
    parseOrThrow(noQuerySchema, req.query, 'query');
    const body = parseOrThrow(loginBodySchema, req.body);
    const attempt = await limits.beginLogin(body.username, clientIp(req));
    const found = await users.findCredentials(body.username);
    if (!(await passwords.verify(body.password, found?.passwordHash)) || !found) throw badCredentials();
    await limits.loginSucceeded(attempt);
    const answer: AuthResponse = { user: found.user, token: tokens.issue(found.user, tokens.startSession()) };
    res.json(answer);
  });

  // A fresh token of the caller's session (same sid and end); the token itself must still be valid.
  router.post('/auth/refresh', authenticated, async (req, res) => {
    parseOrThrow(noQuerySchema, req.query, 'query');
    const identity = identityOf(res.locals);
    const session = tokens.sessionOf(identity, bearerToken(req.headers.authorization));
    await limits.beginRefresh(identity.userId);
    const user = await currentUser(users, identity);
    const answer: AuthResponse = { user, token: tokens.issue(user, session) };
    res.json(answer);
  });

  router.get('/auth/me', authenticated, async (req, res) => {
    parseOrThrow(noQuerySchema, req.query, 'query');
    const answer: UserResponse = { user: await currentUser(users, identityOf(res.locals)) };
    res.json(answer);
  });

  router.get('/auth/users', authenticated, async (req, res) => {
    const { ids } = parseOrThrow(usersByIdsQuerySchema, { ...req.query }, 'query');
    const answer: UsersResponse = { users: await users.findByIds(ids) };
    res.json(answer);
  });

  router.get('/auth/users/:username', authenticated, async (req, res) => {
    parseOrThrow(noQuerySchema, req.query, 'query');
    const { username } = parseOrThrow(usernameParamsSchema, { ...req.params });
    const user = await users.findByUsername(username);
    if (!user) throw new AppError('NOT_FOUND', 'no such user');
    const answer: UserResponse = { user };
    res.json(answer);
  });

  return router;
}

function requireIdentity(tokens: Tokens): RequestHandler {
  return (req, res, next) => {
    res.locals.identity = tokens.verify(bearerToken(req.headers.authorization));
    next();
  };
}

/** The caller's account as stored now; a token of a deleted account is no longer good. */
async function currentUser(users: UserStore, identity: Identity): Promise<PublicUser> {
  const user = await users.findById(identity.userId);
  if (!user) throw new AppError('UNAUTHORIZED', 'account no longer exists');
  return user;
}

function identityOf(locals: Record<string, unknown>): Identity {
  return locals.identity as Identity;
}

/** The client's address as resolved through the trusted proxies (TRUST_PROXY). */
function clientIp(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}
