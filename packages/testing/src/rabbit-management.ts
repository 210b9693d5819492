/** A small client for the RabbitMQ management HTTP API (vhosts, connections, queues). */
export class RabbitManagement {
  private readonly base: string;
  private readonly auth: string;

  constructor(managementUrl: string) {
    const u = new URL(managementUrl);
    this.auth =
      'Basic ' + Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64');
    u.username = '';
    u.password = '';
    this.base = u.toString().replace(/\/$/, '');
  }

  async request(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${this.base}/api${path}`, {
      method,
      headers: { authorization: this.auth, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!res.ok && !(method === 'DELETE' && res.status === 404)) {
      throw new Error(`rabbitmq management ${method} ${path}: ${res.status} ${await res.text()}`);
    }
    const text = await res.text();
    return text ? (JSON.parse(text) as unknown) : undefined;
  }

  async createVhost(vhost: string, user: string): Promise<void> {
    await this.request('PUT', `/vhosts/${encodeURIComponent(vhost)}`, {});
    await this.request('PUT', `/permissions/${encodeURIComponent(vhost)}/${encodeURIComponent(user)}`, {
      configure: '.*',
      write: '.*',
      read: '.*',
    });
  }

  async deleteVhost(vhost: string): Promise<void> {
    await this.request('DELETE', `/vhosts/${encodeURIComponent(vhost)}`);
  }

  /** Connections in a vhost with their client-given names (`connection_name`). */
  async connections(vhost: string): Promise<{ name: string; clientName: string | undefined }[]> {
    const all = (await this.request('GET', `/vhosts/${encodeURIComponent(vhost)}/connections`)) as {
      name: string;
      client_properties?: { connection_name?: string };
    }[];
    return all.map((c) => ({ name: c.name, clientName: c.client_properties?.connection_name }));
  }

  /** Force-close a connection, as an operator would from the management UI. */
  async closeConnection(name: string, reason = 'closed by test'): Promise<void> {
    await this.request('DELETE', `/connections/${encodeURIComponent(name)}`, undefined);
    void reason;
  }

  async queue(vhost: string, queue: string): Promise<{ messages: number; arguments: Record<string, unknown> }> {
    return (await this.request('GET', `/queues/${encodeURIComponent(vhost)}/${encodeURIComponent(queue)}`)) as {
      messages: number;
      arguments: Record<string, unknown>;
    };
  }
}
