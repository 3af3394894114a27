import type { Config } from './schema.ts';

/** The base URL clients use: externalUrl, else the listen address (a wildcard address shown as localhost). */
export function publicBaseUrl(config: Config): string {
  if (config.externalUrl !== undefined) return config.externalUrl.replace(/\/+$/, '');
  const { host, port } = splitListen(config.listen);
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `${config.tls.enabled ? 'https' : 'http'}://${shown}:${port}`;
}

/** The host (IPv6 without brackets) and port of a `host:port` listen address. */
export function splitListen(listen: string): { host: string; port: number } {
  const m = /^\[?([^\]]*)\]?:(\d+)$/.exec(listen);
  return { host: m?.[1] ?? '127.0.0.1', port: Number(m?.[2] ?? 8443) };
}
