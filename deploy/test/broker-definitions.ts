import type { Isolation } from '@chat/testing';
import { readRepoFile } from './repo.js';

export interface Permission {
  user: string;
  vhost: string;
  configure: string;
  write: string;
  read: string;
}
export interface Definitions {
  users: { name: string; password_hash: string; tags: string[] }[];
  vhosts: { name: string }[];
  permissions: Permission[];
  exchanges: {
    name: string;
    vhost: string;
    type: string;
    durable: boolean;
    auto_delete: boolean;
    internal: boolean;
    arguments: Record<string, unknown>;
  }[];
  queues: { name: string; vhost: string; durable: boolean; auto_delete: boolean; arguments: Record<string, unknown> }[];
  bindings: {
    source: string;
    vhost: string;
    destination: string;
    destination_type: string;
    routing_key: string;
    arguments: Record<string, unknown>;
  }[];
  [other: string]: unknown;
}

/** deploy/rabbitmq/definitions.json, as the broker loads it at boot. */
export const readDefinitions = (): Definitions =>
  JSON.parse(readRepoFile('deploy/rabbitmq/definitions.json')) as Definitions;

/**
 * The definitions moved onto a test file's own vhost, with each user renamed `<iso.id>.<name>`,
 * so they can be imported into a shared broker without touching anyone else's.
 */
export function isolatedDefinitions(iso: Isolation): { definitions: Definitions; user: (name: string) => string } {
  const user = (name: string) => `${iso.id}.${name}`;
  const d = readDefinitions();
  const onVhost = <T extends { vhost: string }>(items: T[]) => items.map((i) => ({ ...i, vhost: iso.vhost }));
  return {
    user,
    definitions: {
      ...d,
      users: d.users.map((u) => ({ ...u, name: user(u.name) })),
      vhosts: [{ name: iso.vhost }],
      permissions: onVhost(d.permissions).map((p) => ({ ...p, user: user(p.user) })),
      exchanges: onVhost(d.exchanges),
      queues: onVhost(d.queues),
      bindings: onVhost(d.bindings),
    },
  };
}

export async function importDefinitions(iso: Isolation, definitions: Definitions): Promise<void> {
  await iso.rabbit.request('POST', '/definitions', definitions);
}

/** What the compose entrypoint does with `rabbitmqctl change_password` after each boot's import. */
export async function setPassword(iso: Isolation, user: string, password: string, tags: string[]): Promise<void> {
  await iso.rabbit.request('PUT', `/users/${encodeURIComponent(user)}`, { password, tags: tags.join(',') });
}

export async function deleteUsers(iso: Isolation, users: string[]): Promise<void> {
  await Promise.allSettled(users.map((u) => iso.rabbit.request('DELETE', `/users/${encodeURIComponent(u)}`)));
}

/** An AMQP URL on the test's vhost, logged in as `user`. */
export function amqpUrlAs(iso: Isolation, user: string, password: string): string {
  const url = new URL(iso.amqpUrl);
  url.username = encodeURIComponent(user);
  url.password = encodeURIComponent(password);
  return url.toString();
}
