import { type BlockList, isIP } from 'node:net';
import { canonicalIp, cidrBlockList, inRanges } from '../ca/ip.ts';
import { AppError, type SubProblem } from '../errors.ts';
import type { Identifier } from './types.ts';

export interface PolicyConfig {
  allowedDomains: string[];
  allowedIpRanges: string[];
  allowWildcards: boolean;
  /** Identifiers one order may name (policy.maxIdentifiersPerOrder). */
  maxIdentifiersPerOrder: number;
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

function dnsSyntaxProblem(name: string): string | undefined {
  if (name.length > 253) return 'is longer than 253 characters';
  if (name.endsWith('.')) return 'must not end with a dot';
  const body = name.startsWith('*.') ? name.slice(2) : name;
  if (body.includes('*')) return 'may only have a wildcard as its whole leftmost label ("*.example.com")';
  const labels = body.split('.');
  if (labels.some((l) => !LABEL.test(l))) return 'is not a valid DNS name (letters, digits and hyphens in labels of 1 to 63 characters)';
  if (isIP(body) !== 0 || /^[0-9]+$/.test(labels[labels.length - 1] ?? '')) return 'looks like an IP address; use an "ip" identifier';
  return undefined;
}

/** Decides which identifiers may be issued. With no lists configured, any valid name or address may. */
export class IdentifierPolicy {
  private readonly ranges: BlockList;
  readonly open: boolean;

  constructor(private readonly config: PolicyConfig) {
    this.ranges = cidrBlockList(config.allowedIpRanges, 'policy.allowedIpRanges');
    this.open = config.allowedDomains.length === 0 && config.allowedIpRanges.length === 0;
  }

  /** Normalises identifiers and returns them, or throws with one subproblem per bad identifier. */
  check(raw: unknown): Identifier[] {
    if (!Array.isArray(raw) || raw.length === 0) throw new AppError('malformed', '"identifiers" must be a non-empty array');
    // Counted before deduplication, like Boulder; the whole request is at fault, not one identifier.
    const max = this.config.maxIdentifiersPerOrder;
    if (raw.length > max) throw new AppError('malformed', `Order cannot contain more than ${max} identifiers (it has ${raw.length})`);
    const out: Identifier[] = [];
    const problems: SubProblem[] = [];
    for (const item of raw) {
      const result = this.checkOne(item);
      if ('problem' in result) problems.push(result.problem);
      else if (!out.some((i) => i.type === result.type && i.value === result.value)) out.push(result);
    }
    if (problems.length === 1 && raw.length === 1) {
      const p = problems[0] as SubProblem;
      throw new AppError(p.code, p.detail, { subproblems: problems });
    }
    if (problems.length > 0) {
      const code = problems.every((p) => p.code === problems[0]?.code) ? (problems[0] as SubProblem).code : 'rejectedIdentifier';
      throw new AppError(code, `${problems.length} of ${raw.length} identifiers cannot be issued; see subproblems`, { subproblems: problems });
    }
    return out;
  }

  /** Whether one identifier could be ordered; validation follows http-01 redirects only to such hosts. */
  permits(identifier: Identifier): boolean {
    return !('problem' in this.checkOne(identifier));
  }

  private checkOne(item: unknown): Identifier | { problem: SubProblem } {
    if (typeof item !== 'object' || item === null || typeof (item as Identifier).value !== 'string') {
      return { problem: { code: 'malformed', detail: 'Each identifier needs a "type" and a string "value"' } };
    }
    const { type, value } = item as { type: unknown; value: string };
    const identifier = { type: String(type), value };
    if (type === 'dns') return this.checkDns(value.toLowerCase(), identifier);
    if (type === 'ip') return this.checkIp(value, identifier);
    return { problem: { code: 'unsupportedIdentifier', detail: `Identifier type "${String(type)}" is not supported; use "dns" or "ip"`, identifier } };
  }

  private checkDns(name: string, identifier: Identifier | { type: string; value: string }): Identifier | { problem: SubProblem } {
    const syntax = dnsSyntaxProblem(name);
    const id = identifier as Identifier;
    if (syntax !== undefined) return { problem: { code: 'rejectedIdentifier', detail: `"${name.slice(0, 80)}" ${syntax}`, identifier: id } };
    if (name.startsWith('*.') && !this.config.allowWildcards) {
      return { problem: { code: 'rejectedIdentifier', detail: `Wildcard names are not allowed by this server's policy ("${name}")`, identifier: id } };
    }
    if (!this.open && !this.domainAllowed(name.startsWith('*.') ? name.slice(2) : name)) {
      return { problem: { code: 'rejectedIdentifier', detail: `Policy forbids issuing for "${name}": it is not under an allowed domain`, identifier: id } };
    }
    return { type: 'dns', value: name };
  }

  private domainAllowed(name: string): boolean {
    return this.config.allowedDomains.some((d) => {
      const suffix = d.toLowerCase().replace(/^\*?\./, '');
      return name === suffix || name.endsWith(`.${suffix}`);
    });
  }

  private checkIp(value: string, identifier: { type: string; value: string }): Identifier | { problem: SubProblem } {
    const ip = canonicalIp(value);
    const id = identifier as Identifier;
    if (ip === undefined) return { problem: { code: 'malformed', detail: `"${value.slice(0, 80)}" is not an IPv4 or IPv6 address`, identifier: id } };
    if (!this.open && !inRanges(this.ranges, ip)) {
      return { problem: { code: 'rejectedIdentifier', detail: `Policy forbids issuing for ${ip}: it is not in an allowed range`, identifier: id } };
    }
    return { type: 'ip', value: ip };
  }
}
