import type { Kek } from '../kek/kek.ts';
import type { SshStore } from './store.ts';

/** What every SSH use case takes. */
export interface SshDeps {
  store: SshStore;
  kek: Kek;
  now: () => number;
}

/** The KEK binds each CA key to its row. */
export const caKeyAad = (id: string): string => `ssh-ca:${id}`;
