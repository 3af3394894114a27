/**
 * The one place @peculiar/x509 is configured: it needs the Reflect metadata polyfill loaded first
 * and a WebCrypto provider (Node's `globalThis.crypto`). Modules in src/ca import `x509` from
 * here rather than from the package, so the configuration has always run before first use.
 */
import './reflect-metadata.ts';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(globalThis.crypto);

export { x509 };
