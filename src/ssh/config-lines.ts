import type { SshCa } from './types.ts';

/** Where the lines say the files go; operators may choose others. */
const FILES = {
  userCa: '/etc/ssh/certainty_user_ca.pub',
  krl: '/etc/ssh/certainty.krl',
  principals: '/etc/ssh/auth_principals/%u',
  hostCert: '/etc/ssh/ssh_host_ed25519_key-cert.pub',
};

/** The `@cert-authority` lines for known_hosts: one per trusted host CA. */
function knownHostsLines(hostCas: readonly SshCa[], hostPattern: string): string[] {
  return hostCas.map((ca) => `@cert-authority ${hostPattern} ${ca.publicKey}`);
}

/** The trust file for sshd's TrustedUserCAKeys: one key per trusted user CA. */
function userCaLines(userCas: readonly SshCa[]): string[] {
  return userCas.map((ca) => ca.publicKey);
}

/**
 * What an operator installs: on every server, the sshd_config lines and how to fetch their files
 * from `baseUrl`; on every client, the known_hosts line. Both list every trusted CA, so a
 * rotation's new CA is trusted before it signs.
 */
export function sshConfigText(o: { baseUrl: string; userCas: readonly SshCa[]; hostCas: readonly SshCa[]; hostPattern: string }): string {
  const out = [
    '# On each server, in /etc/ssh/sshd_config (users log in with certificates from the user CA):',
    `TrustedUserCAKeys ${FILES.userCa}`,
    `RevokedKeys ${FILES.krl}`,
    `AuthorizedPrincipalsFile ${FILES.principals}`,
    `HostCertificate ${FILES.hostCert}`,
    '',
    '# Keep the trusted keys and the KRL current (e.g. from a timer, every few minutes):',
    `curl -fsS -o ${FILES.userCa} '${o.baseUrl}/ssh/ca.pub?kind=user'`,
    `curl -fsS -o ${FILES.krl} '${o.baseUrl}/ssh/krl'`,
    `# ${FILES.principals.replace('%u', '<user>')} lists the principals that may log in as <user>, one per line.`,
    '',
    '# The user CA keys (the content of the TrustedUserCAKeys file):',
    ...(o.userCas.length > 0 ? userCaLines(o.userCas) : ['# (no user CA yet: "certainty ssh ca create --kind user")']),
    '',
    '# On each client, in ~/.ssh/known_hosts or /etc/ssh/ssh_known_hosts (trusts host certificates):',
    ...(o.hostCas.length > 0 ? knownHostsLines(o.hostCas, o.hostPattern) : ['# (no host CA yet: "certainty ssh ca create --kind host")']),
  ];
  return `${out.join('\n')}\n`;
}
