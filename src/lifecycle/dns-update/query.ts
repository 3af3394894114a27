/**
 * Questions asked of the same server the updates go to: which zone holds a name (its SOA, walking
 * up the labels), and whether a TXT value is visible yet. Every loop is bounded in count and time.
 */
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DnsUpdateError } from './errors.ts';
import { exchange, serverText, type DnsServer } from './transport.ts';
import { encodeHeader, encodeQuestion, normalName, opcodeFlags, OPCODE, parseMessage, readTxt, TYPE, type Message } from './wire.ts';

async function query(server: DnsServer, name: string, type: number, timeoutMs: number): Promise<Message> {
  const id = randomInt(0, 0x10000);
  const msg = Buffer.concat([encodeHeader({ id, flags: opcodeFlags(OPCODE.QUERY), counts: [1, 0, 0, 0] }), encodeQuestion(name, type)]);
  const res = parseMessage(await exchange(server, msg, timeoutMs));
  if (res.header.id !== id) throw new DnsUpdateError(`the DNS server at ${serverText(server)} answered another query (ID ${res.header.id}, sent ${id})`, true);
  return res;
}

const isWithin = (name: string, zone: string): boolean => zone === '' || name === zone || name.endsWith(`.${zone}`);

/** The zone the server is authoritative for that holds `name`: the SOA owner found walking up from it. */
export async function findZone(server: DnsServer, name: string, timeoutMs: number): Promise<string> {
  const labels = normalName(name).split('.');
  for (let i = 0; i < labels.length - 1 && i < 16; i++) {
    const candidate = labels.slice(i).join('.');
    const res = await query(server, candidate, TYPE.SOA, timeoutMs);
    if (!res.authoritative || (res.rcode !== 0 && res.rcode !== 3)) continue;
    const soa = [...res.answers, ...res.authority].find((rr) => rr.type === TYPE.SOA && isWithin(candidate, rr.name));
    if (soa) return soa.name;
  }
  throw new DnsUpdateError(`the DNS server at ${serverText(server)} is authoritative for no zone holding ${normalName(name)}; give the zone with --dns-zone, or point --dns-server at the zone's primary`, false);
}

/** Waits until the server answers `value` among the TXT records of `name`. */
export async function waitForTxt(server: DnsServer, name: string, value: string, opts: { timeoutMs: number; waitMs: number }): Promise<void> {
  const deadline = Date.now() + opts.waitMs;
  for (let attempt = 0; attempt < 200; attempt++) {
    const res = await query(server, name, TYPE.TXT, opts.timeoutMs);
    if (res.answers.some((rr) => rr.type === TYPE.TXT && rr.name === normalName(name) && readTxt(rr.rdata) === value)) return;
    if (Date.now() >= deadline) break;
    await sleep(Math.min(250 * (attempt + 1), 1000));
  }
  throw new DnsUpdateError(`the TXT record ${normalName(name)} is not visible on the DNS server at ${serverText(server)} ${opts.waitMs} ms after it was added`, true);
}
