import type { AcmeDeps, AcmeRequest, AcmeResponse } from './context.ts';

export function directory(deps: AcmeDeps, req: AcmeRequest): AcmeResponse {
  const link = req.linker;
  const s = deps.settings;
  return {
    status: 200,
    json: {
      newNonce: link.newNonce(),
      newAccount: link.newAccount(),
      newOrder: link.newOrder(),
      revokeCert: link.revokeCert(),
      keyChange: link.keyChange(),
      renewalInfo: link.renewalInfo(),
      meta: {
        ...(s.termsOfService === undefined ? {} : { termsOfService: s.termsOfService }),
        ...(s.website === undefined ? {} : { website: s.website }),
        caaIdentities: s.caaIdentities,
        externalAccountRequired: s.externalAccountRequired,
      },
    },
  };
}

/** RFC 8555 §7.2: HEAD answers 200, GET 204; the edge adds Replay-Nonce. */
export function newNonce(req: AcmeRequest): AcmeResponse {
  return { status: req.method === 'HEAD' ? 200 : 204, headers: { 'Cache-Control': 'no-store' } };
}
