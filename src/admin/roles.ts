/**
 * What a token may do. An `admin` token may do everything, as every token could before roles
 * existed. A `machine` token may do nothing by itself: a domain grants it work explicitly (an SSH
 * role lists the tokens that may sign with it; a secrets policy is attached to a token), so a
 * token handed to a host or a deploy job carries only that.
 */
export const TOKEN_ROLES = ['admin', 'machine'] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];

export function isTokenRole(value: string): value is TokenRole {
  return (TOKEN_ROLES as readonly string[]).includes(value);
}

/** Who made an admin API request: the verified token's id and role. */
export interface Caller {
  tokenId: string;
  role: TokenRole;
}
