import { AppError } from '../errors.ts';

const MAX_CONTACTS = 10;
const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/** Checks the "contact" field (RFC 8555 §7.3): mailto: URLs only, no header fields. */
export function checkContacts(raw: unknown): string[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw new AppError('malformed', '"contact" must be an array of mailto: URLs');
  if (raw.length > MAX_CONTACTS) throw new AppError('malformed', `At most ${MAX_CONTACTS} contacts are accepted`);
  return raw.map((c: unknown) => {
    if (typeof c !== 'string') throw new AppError('invalidContact', 'Each contact must be a string URL');
    if (!c.startsWith('mailto:')) throw new AppError('unsupportedContact', `Contact "${c.slice(0, 80)}" is not supported; only mailto: URLs are`);
    const address = c.slice('mailto:'.length);
    if (address.includes('?')) throw new AppError('invalidContact', 'mailto: contacts must not carry header fields ("?")');
    if (address.includes(',')) throw new AppError('invalidContact', 'Give one address per mailto: contact');
    if (!EMAIL.test(address)) throw new AppError('invalidContact', `"${address.slice(0, 80)}" is not a valid email address`);
    return c;
  });
}
