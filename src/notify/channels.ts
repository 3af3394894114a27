/** Notification channels: add, list, remove, and send a test message through one now. */
import { AppError } from '../errors.ts';
import type { Kek } from '../kek/kek.ts';
import { parseChannelInput, type ChannelInput } from './channel-input.ts';
import { testMessage } from './messages.ts';
import { send } from './send.ts';
import type { NotifyStore } from './store.ts';
import { channelSecretAad, type Channel, type ChannelSecret, type OutboxEntry } from './types.ts';

export interface NotifyServiceDeps {
  store: NotifyStore;
  kek: Kek;
  now: () => number;
  /** Who the audit records name: `cli:<user>` or `admin-api`. */
  actor: string;
  /** One delivery attempt's timeout. */
  timeoutMs: number;
}

const notFound = (name: string): AppError => new AppError('notFound', `no notification channel ${name}; see "certainty notify list"`);

/** What a channel's secret unwraps to (an empty one when it has none). */
export async function channelSecret(deps: Pick<NotifyServiceDeps, 'store' | 'kek'>, name: string): Promise<ChannelSecret> {
  const wrapped = await deps.store.channelSecret(name);
  return wrapped === undefined ? {} : (JSON.parse(deps.kek.unwrap(wrapped, channelSecretAad(name)).toString('utf8')) as ChannelSecret);
}

export class NotifyService {
  constructor(private readonly deps: NotifyServiceDeps) {}

  async add(input: ChannelInput): Promise<Channel> {
    const { channel, secret } = parseChannelInput(input, this.deps.now());
    const secretWrapped = secret === undefined ? undefined : this.deps.kek.wrap(Buffer.from(JSON.stringify(secret), 'utf8'), channelSecretAad(channel.name));
    await this.deps.store.transaction(async (s) => {
      if (!(await s.insertChannel({ channel, secretWrapped }))) throw new AppError('conflict', `notification channel ${channel.name} already exists; remove it first or choose another name`);
      await s.audit({ actor: this.deps.actor, action: 'notify.channel-added', object: `channel:${channel.name}`, outcome: 'success', details: { type: channel.kind, events: channel.events } });
    });
    return channel;
  }

  list(): Promise<Channel[]> {
    return this.deps.store.channels();
  }

  /** The newest queued messages with their delivery state (attempts, last error), for operators. */
  outbox(limit = 50): Promise<OutboxEntry[]> {
    return this.deps.store.outbox(Math.min(Math.max(1, limit), 500));
  }

  async remove(name: string): Promise<void> {
    await this.deps.store.transaction(async (s) => {
      if (!(await s.deleteChannel(name))) throw notFound(name);
      await s.audit({ actor: this.deps.actor, action: 'notify.channel-removed', object: `channel:${name}`, outcome: 'success' });
    });
  }

  /** Sends a test message now, outside the outbox; the outcome is returned (and audited), not thrown. */
  async test(name: string): Promise<{ name: string; delivered: boolean; detail: string }> {
    const channel = await this.deps.store.channel(name);
    if (!channel) throw notFound(name);
    let detail = 'delivered';
    try {
      await send(channel, await channelSecret(this.deps, name), testMessage(name, this.deps.now()), this.deps);
    } catch (err) {
      detail = (err as Error).message;
    }
    const delivered = detail === 'delivered';
    await this.deps.store.audit({ actor: this.deps.actor, action: 'notify.channel-tested', object: `channel:${name}`, outcome: delivered ? 'success' : 'failure', details: { result: detail.slice(0, 300) } });
    return { name, delivered, detail };
  }
}
