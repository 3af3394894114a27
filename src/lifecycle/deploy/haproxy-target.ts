/**
 * The HAProxy target: replace a certificate in a running HAProxy through its runtime API
 * (`set ssl cert <crt> <<` with the PEM bundle, then `commit ssl cert <crt>`), with no reload
 * and no dropped connection, and write the same bundle to the crt file so a reload or restart
 * keeps it. HAProxy only replaces certificates its configuration already loads.
 */
import { AppError } from '../../errors.ts';
import { normaliseSerial } from '../../ca/pem.ts';
import { fullchain, parseMode, writeFilesAtomically } from './files.ts';
import { haproxyCommand } from './haproxy-api.ts';
import { resolveGroup, resolveUser } from './owner.ts';
import type { CertificateMaterial, DeployOutcome, HaproxyTarget } from './types.ts';

const DEFAULT_TIMEOUT_MS = 5_000;

/** What HAProxy loads from a `crt` file: the leaf, the intermediates, then the key. */
export function haproxyBundle(material: CertificateMaterial): string {
  return `${fullchain(material)}${material.keyPem.trim()}\n`;
}

/** The serial in `show ssl cert <crt>`, normalised, or null when HAProxy does not know the certificate. */
export function servedSerial(answer: string): string | null {
  const m = /^Serial: ([0-9A-Fa-f]+)$/m.exec(answer);
  return m?.[1] === undefined ? null : normaliseSerial(m[1]);
}

export async function deployHaproxy(spec: HaproxyTarget, material: CertificateMaterial): Promise<DeployOutcome> {
  const timeoutMs = spec.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const crt = spec.crtPath;
  const written = await writeFilesAtomically([{
    path: crt,
    content: haproxyBundle(material),
    mode: parseMode(spec.mode, 0o600),
    uid: spec.owner === undefined ? undefined : await resolveUser(spec.owner),
    gid: spec.group === undefined ? undefined : await resolveGroup(spec.group),
  }]);
  const shown = await haproxyCommand(spec.socket, `show ssl cert ${crt}\n`, timeoutMs);
  const serial = servedSerial(shown);
  if (serial === null) throw notLoaded(crt, shown);
  if (serial === normaliseSerial(material.serial)) {
    return written.length === 0
      ? { changed: false, detail: `HAProxy already serves serial ${material.serial} from ${crt}` }
      : { changed: true, detail: `HAProxy already serves serial ${material.serial}; rewrote ${crt}` };
  }
  await replaceLive(spec.socket, crt, haproxyBundle(material), timeoutMs);
  return { changed: true, detail: `HAProxy now serves serial ${material.serial} from ${crt} (runtime API, file written)` };
}

/** The certificate whose update is open in HAProxy (`show ssl cert` lists it under `# transaction` with a `*`), or null. */
export function openTransaction(answer: string): string | null {
  const m = /^# transaction\n\*(.+)$/m.exec(answer);
  return m?.[1]?.trim() ?? null;
}

async function replaceLive(socket: string, crt: string, bundle: string, timeoutMs: number): Promise<void> {
  // HAProxy keeps one update open at a time, and (2.6) a `set` for another certificate silently
  // lands in the open one: so never send while another certificate's update is open.
  const open = openTransaction(await haproxyCommand(socket, 'show ssl cert\n', timeoutMs));
  if (open !== null && open !== crt) throw busy(open);
  // The payload ends at the first empty line, so the bundle carries none inside (HAProxy would read the rest as commands).
  const payload = bundle.split('\n').filter((line) => line.trim() !== '').join('\n');
  const set = await haproxyCommand(socket, `set ssl cert ${crt} <<\n${payload}\n\n`, timeoutMs);
  const updated = /^Transaction (?:created|updated) for certificate (.+)!$/m.exec(set)?.[1];
  if (updated !== crt) {
    if (/not referenced by the configuration/.test(set)) throw notLoaded(crt, set);
    if (updated === undefined) throw new AppError('deployFailed', `HAProxy refused the new certificate for ${crt}: ${oneLine(set)}`);
    // Another update was opened between the check and the set, and now holds our certificate: it is spoilt either way.
    await haproxyCommand(socket, `abort ssl cert ${updated}\n`, timeoutMs).catch(() => '');
    throw busy(updated);
  }
  const commit = await haproxyCommand(socket, `commit ssl cert ${crt}\n`, timeoutMs);
  if (!/Success!/.test(commit)) {
    // Leave no open transaction behind: HAProxy allows one at a time, and it would block the next deploy.
    await haproxyCommand(socket, `abort ssl cert ${crt}\n`, timeoutMs).catch(() => '');
    throw new AppError('deployFailed', `HAProxy did not commit the new certificate for ${crt}: ${oneLine(commit)}`);
  }
}

function busy(other: string): AppError {
  return new AppError('deployFailed', `HAProxy has an unfinished update of ${other} open (another deploy in progress, or one that was interrupted); `
    + `the deploy is retried later. If it persists, send \`abort ssl cert ${other}\` to the runtime API`);
}

function notLoaded(crt: string, answer: string): AppError {
  return new AppError('deployFailed', `HAProxy does not know the certificate ${crt} (it answered: ${oneLine(answer)}). `
    + `It replaces only certificates its configuration loads: add \`ssl crt ${crt}\` to a bind line and reload HAProxy once; the file is already written`);
}

const oneLine = (text: string): string => text.split('\n').map((l) => l.trim()).filter((l) => l !== '').join(' ').slice(0, 300);
