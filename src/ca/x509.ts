/**
 * The one place @peculiar/x509 is configured: its algorithm registry (tsyringe) needs the Reflect
 * metadata API, which the library's README asks for as the `reflect-metadata` package imported
 * first, and a WebCrypto provider (Node's `globalThis.crypto`). Modules in src/ca import `x509`
 * from here rather than from the package, so the configuration has always run before first use.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(globalThis.crypto);

export { x509 };
