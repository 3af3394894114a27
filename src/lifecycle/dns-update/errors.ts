/** A DNS update or check that failed, in words an operator acts on; `transient` when retrying soon may help. */
export class DnsUpdateError extends Error {
  constructor(message: string, readonly transient: boolean, readonly code: string | undefined = undefined) {
    super(message);
    this.name = 'DnsUpdateError';
  }
}
