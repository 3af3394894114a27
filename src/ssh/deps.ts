import type { Kek } from '../kek/kek.ts';
import type { SshCertKind } from './certificate.ts';
import type { SshStore } from './store.ts';

/** What every SSH use case takes. */
export interface SshDeps {
  store: SshStore;
  kek: Kek;
  now: () => number;
  /** Where signing outcomes are counted (src/metrics); absent at the CLI. */
  report?: SshReport;
}

/** Signing outcomes by certificate kind: `unknown` when a request named no existing role. */
export interface SshReport {
  sshSigned(kind: SshCertKind | 'unknown', outcome: 'signed' | 'refused'): void;
}

/** The KEK binds each CA key to its row. */
export const caKeyAad = (id: string): string => `ssh-ca:${id}`;
