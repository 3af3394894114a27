import { AppError } from '../errors.ts';
import { isTokenRole, PERMISSIONS, TOKEN_ROLES, type Permission } from './roles.ts';
import type { AdminRoleStore, CustomRole } from './store.ts';

export interface CustomRoleDeps {
  store: AdminRoleStore;
  now: () => number;
  /** Who changes are recorded as: `cli:<user>` or `admin-api`. */
  actor: string;
}

const NAME = /^[a-z][a-z0-9-]{0,39}$/;

/** A role's permissions, each checked against `PERMISSIONS`, without repeats, in the table's order. */
function checkedPermissions(listed: readonly string[]): Permission[] {
  const unknown = listed.filter((p) => !(PERMISSIONS as readonly string[]).includes(p));
  if (unknown.length > 0) throw new AppError('malformed', `Unknown permission ${unknown.map((p) => `"${p}"`).join(', ')}; the permissions are ${PERMISSIONS.join(', ')}`);
  if (listed.length === 0) throw new AppError('malformed', 'A role needs at least one permission, e.g. --permission status.read');
  return PERMISSIONS.filter((p) => listed.includes(p));
}

/**
 * Roles an operator defines beside the built-in ones, kept in the database so every node reads
 * the same: a token's custom role is looked up on each request, so removing it refuses the token
 * everywhere at once.
 */
export class CustomRoles {
  constructor(private readonly deps: CustomRoleDeps) {}

  async create(name: string, permissions: readonly string[], description = ''): Promise<CustomRole> {
    if (isTokenRole(name)) throw new AppError('conflict', `"${name}" is a built-in role (${TOKEN_ROLES.join(', ')}) and cannot be redefined; choose another name`);
    if (!NAME.test(name)) throw new AppError('malformed', `Role name "${name.slice(0, 60)}" must be lowercase letters, digits and dashes, starting with a letter (at most 40)`);
    if (description.length > 200) throw new AppError('malformed', 'A role\'s description is at most 200 characters');
    const role: CustomRole = { name, permissions: checkedPermissions(permissions), description, createdAt: this.deps.now() };
    await this.deps.store.transaction(async (s) => {
      if (!(await s.insertRole(role))) throw new AppError('conflict', `Role "${name}" already exists; remove it first with "certainty role remove ${name}"`);
      await s.audit({ actor: this.deps.actor, action: 'admin.role-created', object: `role:${name}`, outcome: 'success', details: { permissions: role.permissions } });
    });
    return role;
  }

  list(): Promise<CustomRole[]> {
    return this.deps.store.roles();
  }

  async show(name: string): Promise<CustomRole & { liveTokens: number }> {
    const role = await this.deps.store.role(name);
    if (!role) throw new AppError('notFound', isTokenRole(name) ? `"${name}" is a built-in role; docs/admin-api.md lists its permissions` : `No custom role "${name}"; see "certainty role list"`);
    return { ...role, liveTokens: await this.deps.store.liveTokens(name, this.deps.now()) };
  }

  /** Removes the role; its tokens are refused from then on. Returns how many live tokens had it. */
  async remove(name: string): Promise<{ liveTokens: number }> {
    return this.deps.store.transaction(async (s) => {
      if (!(await s.removeRole(name))) throw new AppError('notFound', `No custom role "${name}"; see "certainty role list"`);
      const liveTokens = await s.liveTokens(name, this.deps.now());
      await s.audit({ actor: this.deps.actor, action: 'admin.role-removed', object: `role:${name}`, outcome: 'success', details: { liveTokens } });
      return { liveTokens };
    });
  }
}
