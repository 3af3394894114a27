/** The words of every notification: what happened to which certificate, and what to do next. */
import type { ConditionKind, LifecycleCondition } from '../lifecycle/events.ts';
import type { Message, Phase } from './types.ts';

type Words = (name: string, detail: string) => { title: string; text: string };

const RAISED: Record<ConditionKind, Words> = {
  issued: (n, d) => ({ title: `${n}: certificate issued`, text: `The managed certificate ${n} was issued: ${d}. Nothing to do.` }),
  renewed: (n, d) => ({ title: `${n}: certificate renewed`, text: `The managed certificate ${n} was renewed: ${d}. Nothing to do.` }),
  'renewal-failed': (n, d) => ({
    title: `${n}: renewal failed`,
    text: `Certainty could not renew the managed certificate ${n}: ${d}. It keeps retrying with backoff; see "certainty managed show ${n}", fix what the detail names, then "certainty managed renew ${n} --now".`,
  }),
  'deploy-failed': (n, d) => ({
    title: `${n}: deploy failed`,
    text: `The new certificate of ${n} could not be deployed: ${d}. The deploy is retried; check the target, then "certainty managed show ${n}".`,
  }),
  'deploy-unverified': (n, d) => ({
    title: `${n}: deploy not verified`,
    text: `The certificate of ${n} was deployed, but ${d}. Check that the service reloaded its certificate and that the endpoint is the one the target names.`,
  }),
  drift: (n, d) => ({
    title: `${n}: serves an unexpected certificate`,
    text: `${n} does not serve the certificate Certainty deployed: ${d}. Find what replaced it, or deploy again with "certainty managed renew ${n} --now".`,
  }),
  expiring: (n, d) => ({
    title: `${n}: certificate expiring`,
    text: `The certificate of ${n} expires soon: ${d}. Check why it was not renewed ("certainty managed show ${n}") and renew it.`,
  }),
  'renew-now': (n, d) => ({
    title: `${n}: the CA asks to renew now`,
    text: `The issuing CA asks for ${n} to be renewed now (ARI): ${d}. Certainty renews it by itself; nothing to do unless a renewal failure follows.`,
  }),
  'probe-unreachable': (n, d) => ({
    title: `${n}: endpoint unreachable`,
    text: `The probe ${n} cannot read a certificate from its endpoint: ${d}. Check that the service is up and listening, and that this node can reach it; "certainty probe run ${n}" probes again now.`,
  }),
};

const RESOLVED_TITLE: Partial<Record<ConditionKind, string>> = {
  'renewal-failed': 'renewal works again', 'deploy-failed': 'deploy works again', 'deploy-unverified': 'deploy verified', drift: 'serves the expected certificate again',
  'probe-unreachable': 'endpoint answers again',
};

export function messageFor(c: Pick<LifecycleCondition, 'kind' | 'name' | 'subject' | 'detail'>, phase: Phase, now: number): Message {
  const at = new Date(now).toISOString();
  if (phase === 'resolved') {
    const title = `${c.name}: resolved, ${RESOLVED_TITLE[c.kind] ?? c.kind}`;
    return { kind: c.kind, phase, name: c.name, subject: c.subject, title, text: `Resolved for ${c.name}: ${c.detail}. Nothing to do.`, at };
  }
  return { kind: c.kind, phase, name: c.name, subject: c.subject, ...RAISED[c.kind](c.name, c.detail), at };
}

export function testMessage(channel: string, now: number): Message {
  return {
    kind: 'test', phase: 'raised', name: channel, subject: `channel:${channel}`, at: new Date(now).toISOString(),
    title: `Certainty test notification (${channel})`, text: `This is a test of the notification channel ${channel}. It works; nothing to do.`,
  };
}
