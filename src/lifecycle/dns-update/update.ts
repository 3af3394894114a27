/**
 * RFC 2136 dynamic update signed with TSIG: add or delete one TXT record, and the server's answer
 * turned into plain words (what it rejected and what to fix).
 */
import { randomInt } from 'node:crypto';
import { DnsUpdateError } from './errors.ts';
import { signMessage, tsigOf, verifyResponse, type TsigKey } from './tsig.ts';
import { exchange, serverText, type DnsServer } from './transport.ts';
import { CLASS, encodeHeader, encodeQuestion, encodeRecord, normalName, opcodeFlags, OPCODE, parseMessage, RCODE_NAMES, TYPE, txtRdata } from './wire.ts';

export interface UpdateTarget {
  server: DnsServer;
  zone: string;
  key: TsigKey;
  timeoutMs: number;
  /** Seconds since the epoch, for the TSIG time signed. */
  nowSeconds: () => number;
}

export interface TxtChange {
  action: 'add' | 'delete';
  name: string;
  value: string;
  ttl: number;
}

/** The unsigned UPDATE: zone section (zone SOA), no prerequisites, one record per change (RFC 2136 §2.5.1, §2.5.4). */
export function updateMessage(id: number, zone: string, changes: readonly TxtChange[]): Buffer {
  const updates = changes.map((c) => (c.action === 'add'
    ? encodeRecord(c.name, TYPE.TXT, CLASS.IN, c.ttl, txtRdata(c.value))
    : encodeRecord(c.name, TYPE.TXT, CLASS.NONE, 0, txtRdata(c.value))));
  return Buffer.concat([encodeHeader({ id, flags: opcodeFlags(OPCODE.UPDATE), counts: [1, 0, updates.length, 0] }), encodeQuestion(zone, TYPE.SOA), ...updates]);
}

function tsigErrorText(t: UpdateTarget, error: number): string {
  const where = `the DNS server at ${serverText(t.server)}`;
  const key = `'${t.key.name}'`;
  switch (error) {
    case 16: return `${where} rejected the signature of TSIG key ${key} (BADSIG): the secret does not match the server's key statement; check --tsig-secret-file and --tsig-algorithm`;
    case 17: return `${where} rejected the TSIG key ${key} (BADKEY): check the key name and algorithm (${t.key.algorithm}) match the server's key statement`;
    case 18: return `${where} rejected the time of the TSIG signature of key ${key} (BADTIME): this node's clock and the server's differ by more than 300 s; synchronize them (NTP)`;
    default: return `${where} rejected the TSIG signature of key ${key} (${RCODE_NAMES[error] ?? `TSIG error ${error}`})`;
  }
}

function rcodeText(t: UpdateTarget, rcode: number, changes: readonly TxtChange[]): string {
  const where = `the DNS server at ${serverText(t.server)}`;
  const names = [...new Set(changes.map((c) => normalName(c.name)))].join(', ');
  switch (rcode) {
    case 5: return `${where} refused the update of ${names} in zone ${normalName(t.zone)} (REFUSED): let key '${t.key.name}' update TXT records there, e.g. update-policy { grant ${t.key.name} zonesub TXT; }`;
    case 9: return `${where} is not authoritative for zone ${normalName(t.zone)} (NOTAUTH): point --dns-server at the zone's primary, or check --dns-zone`;
    case 10: return `${where} says ${names} is not in zone ${normalName(t.zone)} (NOTZONE): check --dns-zone`;
    case 4: return `${where} does not accept dynamic updates (NOTIMP): enable them for zone ${normalName(t.zone)}`;
    default: return `${where} answered the update of ${names} with ${RCODE_NAMES[rcode] ?? `RCODE ${rcode}`}`;
  }
}

/** Sends one signed UPDATE and checks the answer: NOERROR, signed by the same key. */
export async function sendUpdate(t: UpdateTarget, changes: readonly TxtChange[]): Promise<void> {
  const id = randomInt(0, 0x10000);
  const { signed, mac } = signMessage(updateMessage(id, t.zone, changes), t.key, t.nowSeconds());
  const raw = await exchange(t.server, signed, t.timeoutMs);
  const res = parseMessage(raw);
  if (res.header.id !== id) throw new DnsUpdateError(`the DNS server at ${serverText(t.server)} answered another message (ID ${res.header.id}, sent ${id})`, true);
  const tsig = tsigOf(raw, res);
  if (tsig && tsig.fields.error !== 0) throw new DnsUpdateError(tsigErrorText(t, tsig.fields.error), false);
  if (res.rcode !== 0) throw new DnsUpdateError(rcodeText(t, res.rcode, changes), res.rcode === 2);
  if (!tsig) throw new DnsUpdateError(`the DNS server at ${serverText(t.server)} answered the update without a TSIG signature; it may not be the server that holds key '${t.key.name}'`, false);
  if (!verifyResponse(raw, tsig, t.key, mac)) {
    throw new DnsUpdateError(`the TSIG signature of the answer from ${serverText(t.server)} does not verify with key '${t.key.name}'; something between this node and the server altered it`, false);
  }
}
