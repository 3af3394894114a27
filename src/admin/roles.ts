/**
 * What a token may do: its role is a set of permissions, and every admin API route names the one
 * permission it needs (`permission` on each route of src/http/*-routes.ts). Some permissions only
 * open the door and the domain decides the rest: `ssh.sign` signs only with SSH roles that list
 * the token (unless the caller also has `ssh.any-role`), `secrets.use` reaches only the paths the
 * token's secrets policies grant (unless the caller also has `secrets.admin`).
 * `lifecycle.configure` (adding issuers and managed certificates) is the admin's alone: a managed
 * certificate's exec hooks and file targets run commands and write files on every node, and its
 * webhooks may carry private keys, so it is as much power as the server's own user.
 */
export const PERMISSIONS = [
  'status.read',
  'acme.read', 'acme.manage', 'eab.manage',
  'ssh.read', 'ssh.manage', 'ssh.sign', 'ssh.any-role',
  'secrets.use', 'secrets.admin',
  'lifecycle.read', 'lifecycle.manage', 'lifecycle.configure',
  'metrics.read',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const TOKEN_ROLES = ['admin', 'viewer', 'operator', 'ca-admin', 'secrets-admin', 'auditor', 'machine'] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];

const READ: readonly Permission[] = ['status.read', 'acme.read', 'ssh.read', 'lifecycle.read', 'metrics.read'];

/** The permissions of each role (docs/admin-api.md, "Roles", lists the same; a test compares them). */
export const ROLE_PERMISSIONS: Readonly<Record<TokenRole, readonly Permission[]>> = {
  /** Everything, as every token could before roles existed. */
  admin: PERMISSIONS,
  /** Reads the inventory, never a secret value, changes nothing. */
  viewer: READ,
  /** Reads everything an operator can see, and secrets' metadata or values only where its policies allow. */
  auditor: [...READ, 'secrets.use'],
  /** Day-to-day work: revoke, deactivate, renew, sign with the SSH roles that name it. */
  operator: [...READ, 'acme.manage', 'lifecycle.manage', 'ssh.sign', 'secrets.use'],
  /** The certificate authorities: ACME accounts and EAB keys, SSH CAs and roles, managed certificates. */
  'ca-admin': [...READ, 'acme.manage', 'eab.manage', 'ssh.manage', 'ssh.sign', 'ssh.any-role', 'lifecycle.manage'],
  /** The secrets store: every path and the policies, nothing of the CAs. */
  'secrets-admin': ['status.read', 'metrics.read', 'secrets.use', 'secrets.admin'],
  /** A host or a deploy job: only what an SSH role or a secrets policy grants this token, and metrics for a scraper. */
  machine: ['ssh.sign', 'secrets.use', 'metrics.read'],
};

export function isTokenRole(value: string): value is TokenRole {
  return (TOKEN_ROLES as readonly string[]).includes(value);
}

/** Whether a built-in role has the permission; a custom role's name (src/admin/custom-roles.ts) has none here. */
export function roleAllows(role: string, permission: Permission): boolean {
  return isTokenRole(role) && ROLE_PERMISSIONS[role].includes(permission);
}

/** Who made an admin API request: the verified token's id and role. */
export interface Caller {
  tokenId: string;
  /** A built-in role (`TOKEN_ROLES`) or the name of a custom role. */
  role: string;
  /**
   * The role's permissions as read for this request (a custom role's from the database, so every
   * node agrees the moment it changes); unset: the built-in role's.
   */
  permissions?: readonly Permission[];
  /** The token's name, recorded beside its id in the audit log. */
  tokenName?: string;
  /** A break-glass token: every use is audited and logged as a warning. */
  breakGlass?: boolean;
  /** The only admin paths the token may reach (a path and what is below it), when it is scoped. */
  pathPrefix?: string;
}

/** Whether the caller's role has the permission: the one check every admin route (and the web console) makes. */
export function callerAllows(caller: Caller, permission: Permission): boolean {
  return caller.permissions === undefined ? roleAllows(caller.role, permission) : caller.permissions.includes(permission);
}

/** Whether `pathname` is `prefix` or below it (whole segments: `/a/b` does not cover `/a/bc`). */
export function withinPrefix(prefix: string, pathname: string): boolean {
  return pathname === prefix || pathname.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`);
}
