import { AppError } from '../errors.ts';
import { CAPABILITIES, isCapability, type Capability, type PolicyRule, type SecretCaller } from './types.ts';

const MAX_RULES = 100;
const GLOB = /^[A-Za-z0-9_.@+=,:*/-]{1,512}$/;
const malformed = (detail: string): AppError => new AppError('malformed', detail);

/** Compiles a path glob: `*` matches within one segment, `**` across segments (`cluster/**` is everything under cluster/). */
function globRegex(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i += 1;
    } else if (c === '*') re += '[^/]*';
    else re += c.replace(/[.+=^$()[\]{}|\\?]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function globMatches(glob: string, path: string): boolean {
  return globRegex(glob).test(path);
}

/** Parses and checks policy rules from JSON input; unknown capabilities and bad globs are refused by name. */
export function parseRules(input: unknown): PolicyRule[] {
  if (!Array.isArray(input) || input.length === 0) throw malformed('A policy needs "rules": a non-empty list of {"path": "<glob>", "capabilities": [...]}');
  if (input.length > MAX_RULES) throw malformed(`A policy has at most ${MAX_RULES} rules`);
  return input.map((rule: unknown, i) => {
    const r = rule as { path?: unknown; capabilities?: unknown } | null;
    if (typeof r !== 'object' || r === null || typeof r.path !== 'string' || !GLOB.test(r.path)) {
      throw malformed(`rules[${i}].path must be a glob of path characters, "*" and "**", e.g. "cluster/**"`);
    }
    if (r.path.split('/').some((s) => s === '' || s === '..' || s === '.')) throw malformed(`rules[${i}].path "${r.path}" has an empty, "." or ".." segment`);
    if (!Array.isArray(r.capabilities) || r.capabilities.length === 0) throw malformed(`rules[${i}].capabilities must be a non-empty list of ${CAPABILITIES.join(', ')}`);
    for (const c of r.capabilities) {
      if (typeof c !== 'string' || !isCapability(c)) throw malformed(`rules[${i}]: unknown capability "${String(c).slice(0, 40)}"; use ${CAPABILITIES.join(', ')}`);
    }
    return { path: r.path, capabilities: [...new Set(r.capabilities as Capability[])] };
  });
}

/** What `rules` grant on `path`: the union of every matching rule, or nothing when a matching rule denies. */
export function capabilitiesOn(rules: readonly PolicyRule[], path: string): Set<Capability> {
  const granted = new Set<Capability>();
  for (const rule of rules) {
    if (!globMatches(rule.path, path)) continue;
    if (rule.capabilities.includes('deny')) return new Set();
    for (const c of rule.capabilities) granted.add(c);
  }
  return granted;
}

/** Refuses `caller` unless it may `capability` on `path` (admins and the CLI may do everything). */
export function requireCapability(caller: SecretCaller, rules: readonly PolicyRule[], capability: Capability, path: string): void {
  if (caller.admin || capabilitiesOn(rules, path).has(capability)) return;
  throw new AppError('unauthorized', `Token ${caller.tokenId ?? '?'} may not ${capability} ${path}: no policy attached to it grants "${capability}" there`);
}
