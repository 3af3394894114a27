/** Request and response bodies of the notification routes (notify-routes.ts), for the OpenAPI document. */
import { z } from 'zod';
import { CONDITION_KINDS } from '../lifecycle/events.ts';
import { epochMs } from './admin-schemas.ts';

export const channelRequest = z.object({
  name: z.string(), type: z.enum(['email', 'webhook', 'slack']), events: z.array(z.enum(CONDITION_KINDS)).optional().meta({ description: 'none: every event' }),
  host: z.string().optional(), port: z.int().optional(), starttls: z.enum(['required', 'none']).optional(), username: z.string().optional(),
  from: z.string().optional(), to: z.array(z.string()).optional(), trustPem: z.string().optional(), url: z.string().optional().meta({ description: 'webhook only' }),
  secret: z.string().optional().meta({ description: 'the SMTP password, the webhook HMAC key or the Slack webhook URL; stored wrapped, never returned' }),
});

export const channelSchema = z.looseObject({
  name: z.string(), kind: z.enum(['email', 'webhook', 'slack']), events: z.array(z.string()), createdAt: epochMs,
  email: z.looseObject({ host: z.string(), port: z.int(), from: z.string(), to: z.array(z.string()) }).optional(),
  webhook: z.looseObject({ url: z.string() }).optional(),
});

export const outboxSchema = z.object({
  id: z.string(), channel: z.string(), attempts: z.int(), lastError: z.string().optional(), createdAt: epochMs, deliveredAt: epochMs.optional(),
  message: z.looseObject({ kind: z.string(), phase: z.enum(['raised', 'resolved']), name: z.string(), title: z.string(), text: z.string(), at: z.string() }),
});

export const testResult = z.object({ name: z.string(), delivered: z.boolean(), detail: z.string() });
export const removed = z.object({ name: z.string(), removed: z.literal(true) });
