import { USERS_BY_IDS_MAX, usersResponseSchema } from '@chat/contracts';

/** Display names from user-service, asked with the caller's own token. */
export interface UserDirectory {
  /** Names by id of the users found; throws when user-service does not answer well. */
  displayNames(ids: string[], authorization: string): Promise<Map<string, string>>;
}

/** `GET /auth/users?ids=` (at most 100 ids a request, so up to 10 at once for a full members list), bounded by `timeoutMs`. */
export function createHttpUserDirectory(baseUrl: string, timeoutMs: number): UserDirectory {
  const url = `${baseUrl.replace(/\/$/, '')}/auth/users`;
  return {
    async displayNames(ids, authorization) {
      const chunks: string[][] = [];
      for (let i = 0; i < ids.length; i += USERS_BY_IDS_MAX) chunks.push(ids.slice(i, i + USERS_BY_IDS_MAX));
      const signal = AbortSignal.timeout(timeoutMs);
      const answers = await Promise.all(
        chunks.map(async (chunk) => {
          const res = await fetch(`${url}?ids=${chunk.join(',')}`, {
            headers: { authorization, accept: 'application/json' },
            signal,
          });
          if (!res.ok) {
            await res.body?.cancel();
            throw new Error(`user-service answered ${res.status}`);
          }
          return usersResponseSchema.parse(await res.json()).users;
        }),
      );
      return new Map(answers.flat().map((u) => [u.id, u.displayName]));
    },
  };
}
