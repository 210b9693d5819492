import type { Isolation } from '@chat/testing';
import { startGateway, type RunningGateway } from '../../api-gateway/test/harness.js';
import { startChatNode, type ChatNode } from '../../chat-service/test/helpers.js';
import { createHttpHistoryClient } from '../../chat-service/src/adapters/history-client_http.js';
import { startService, type RunningService } from '../../message-service/test/helpers.js';
import { startUserService, type RunningUserService } from '../../user-service/test/harness.js';

export interface RealStack {
  /** The gateway: the script's --url. */
  url: string;
  chatUrls: string[];
  close(): Promise<void>;
}

/**
 * The whole platform in this process, each service through its own test harness (their
 * `createApp` on port 0 over the test file's isolated Mongo db, Redis prefix and RabbitMQ
 * vhost): user-service (`userOpts`: e.g. its limits), message-service (consuming), `chatNodes` chat-service nodes (history
 * from message-service over HTTP), and the gateway in front of them.
 */
export async function startRealStack(
  isolation: Isolation,
  chatNodes: number,
  chatEnv: Record<string, string> = {},
  userOpts: Parameters<typeof startUserService>[1] = {},
): Promise<RealStack> {
  const opened: { close(): Promise<void> }[] = [];
  const closeAll = async () => {
    for (const part of opened.reverse()) await part.close();
  };
  try {
    const users: RunningUserService = await startUserService(isolation, userOpts);
    opened.push(users);
    const messages: RunningService = await startService(isolation);
    opened.push(messages);
    const nodes: ChatNode[] = [];
    for (let n = 0; n < chatNodes; n++) {
      const node = await startChatNode(isolation, {
        env: chatEnv,
        history: createHttpHistoryClient(messages.url, 3000),
      });
      nodes.push(node);
      opened.push(node);
    }
    const gw: RunningGateway = await startGateway({
      userServiceUrl: users.url,
      messageServiceUrl: messages.url,
      chatServiceUrls: nodes.map((n) => n.url),
    });
    opened.push(gw);
    return { url: gw.url, chatUrls: nodes.map((n) => n.url), close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
