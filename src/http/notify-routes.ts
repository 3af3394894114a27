import { AppError } from '../errors.ts';
import type { ChannelInput } from '../notify/channel-input.ts';
import type { NotifyService } from '../notify/channels.ts';
import { z } from 'zod';
import { needs, ok, type AdminRoute } from './admin-routes.ts';
import * as S from './notify-schemas.ts';

const NAME = '([a-z0-9][a-z0-9._-]{0,62})';

function channelInputOf(body: Record<string, unknown>): ChannelInput {
  const out: Record<string, unknown> = {};
  for (const k of ['name', 'type', 'host', 'starttls', 'username', 'from', 'trustPem', 'url', 'secret']) {
    const v = body[k];
    if (v === undefined) continue;
    if (typeof v !== 'string') throw new AppError('malformed', `"${k}" must be a string`);
    out[k] = v;
  }
  for (const k of ['to', 'events']) {
    const v = body[k];
    if (v === undefined) continue;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new AppError('malformed', `"${k}" must be a list of strings`);
    out[k] = v;
  }
  if (body.port !== undefined) {
    if (typeof body.port !== 'number') throw new AppError('malformed', '"port" must be a number');
    out.port = body.port;
  }
  return { name: '', type: '', ...out } as ChannelInput;
}

/** Notification channels (docs/admin-api.md): listing needs `lifecycle.read`; adding or removing one (it holds secrets) `lifecycle.configure`. */
export function notifyRoutes(service: NotifyService): AdminRoute[] {
  const read = needs('lifecycle.read');
  const manage = needs('lifecycle.manage');
  const configure = needs('lifecycle.configure');
  return [
    read('GET', /^\/admin\/notifications$/, async () => ok(await service.list()), { summary: 'Notification channels, never their secrets', response: z.array(S.channelSchema) }),
    read('GET', /^\/admin\/notifications\/outbox$/, async () => ok(await service.outbox()), { summary: 'The newest queued notifications and their delivery', response: z.array(S.outboxSchema) }),
    configure('POST', /^\/admin\/notifications$/, async ({ json }) => ok(await service.add(channelInputOf(await json())), 201), {
      summary: 'Add a notification channel', request: S.channelRequest, status: 201, response: S.channelSchema,
    }),
    manage('POST', new RegExp(`^/admin/notifications/${NAME}/test$`), async ({ params }) => ok(await service.test(params[0] as string)), {
      summary: 'Send a test message through a channel now', template: '/admin/notifications/{name}/test', response: S.testResult,
    }),
    configure('DELETE', new RegExp(`^/admin/notifications/${NAME}$`), async ({ params }) => {
      await service.remove(params[0] as string);
      return ok({ name: params[0], removed: true });
    }, { summary: 'Remove a notification channel and its undelivered messages', template: '/admin/notifications/{name}', response: S.removed }),
  ];
}
