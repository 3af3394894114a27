// What the lab's programs are told: etcd flags, Patroni YAML, the two HAProxy configurations and
// the nodes' environment. Pure functions of the port layout, so they can be read and tested alone.
import type { LabTuning } from './lab-state.ts';
import { BACKEND_HEADER } from './load.ts';

/** The port layout, all on 127.0.0.1, from `basePort` (docs/lab.md has the table). */
export interface LabPorts {
  etcdClient: number[];
  etcdPeer: number[];
  postgres: number[];
  patroniRest: number[];
  db: number;
  /** `listen db_node<i>` of node i (index 0 = node1). */
  dbNode: number[];
  front: number;
  node: number[];
  dns: number;
  http01: number;
  tlsAlpn01: number;
  /** The upstream CA of the renewal drills (docs/lab.md), and the tls-alpn-01 port it never uses. */
  upstream: number;
  upstreamTlsAlpn01: number;
}

const ETCD_MEMBERS = 3;
const PG_MEMBERS = 2;
/** `db_node<i>` listens at base+41.., below the front at base+60. */
export const MAX_NODES = 19;

export function labPorts(basePort: number, nodes: number): LabPorts {
  const range = (start: number, count: number): number[] => Array.from({ length: count }, (_, i) => start + i);
  return {
    etcdClient: range(basePort, ETCD_MEMBERS),
    etcdPeer: range(basePort + 10, ETCD_MEMBERS),
    postgres: range(basePort + 20, PG_MEMBERS),
    patroniRest: range(basePort + 30, PG_MEMBERS),
    db: basePort + 40,
    dbNode: range(basePort + 41, nodes),
    front: basePort + 60,
    node: range(basePort + 70, nodes),
    dns: basePort + 90,
    http01: basePort + 91,
    tlsAlpn01: basePort + 92,
    upstream: basePort + 93,
    upstreamTlsAlpn01: basePort + 94,
  };
}

/** Every port the lab listens on (the validation ports belong to the drill, not listed). */
export function listenPorts(ports: LabPorts): number[] {
  return [...ports.etcdClient, ...ports.etcdPeer, ...ports.postgres, ...ports.patroniRest, ports.db, ...ports.dbNode, ports.front, ...ports.node];
}

/** etcd member `i` (0-based) flags, tuned for loopback: 100 ms heartbeats, 1 s elections. */
export function etcdArgs(ports: LabPorts, i: number, dataDir: string): string[] {
  const cluster = ports.etcdPeer.map((p, j) => `etcd${j + 1}=http://127.0.0.1:${p}`).join(',');
  const client = `http://127.0.0.1:${ports.etcdClient[i]}`;
  const peer = `http://127.0.0.1:${ports.etcdPeer[i]}`;
  return [
    '--name', `etcd${i + 1}`,
    '--data-dir', dataDir,
    '--listen-client-urls', client,
    '--advertise-client-urls', client,
    '--listen-peer-urls', peer,
    '--initial-advertise-peer-urls', peer,
    '--initial-cluster', cluster,
    '--initial-cluster-state', 'new',
    '--initial-cluster-token', 'certainty-lab',
    '--heartbeat-interval', '100',
    '--election-timeout', '1000',
  ];
}

export interface LabSecrets {
  superuser: string;
  replication: string;
  certainty: string;
}

export interface PatroniMember {
  name: string;
  index: number;
  /** The member's own directory (Patroni's home; data lives in `<dir>/data`). */
  dir: string;
  dataDir: string;
  binDir: string;
  postBootstrap: string;
}

// JSON strings are valid YAML double-quoted scalars: no hand-rolled escaping.
const q = (s: string): string => JSON.stringify(s);

/**
 * Patroni configuration of one member. `synchronous_mode` (not strict) keeps one standby in sync
 * while there is one; the rewind and remove-data options make a killed old primary come back as a
 * replica by itself, which is what the drills expect.
 */
export function patroniYaml(ports: LabPorts, member: PatroniMember, secrets: LabSecrets, tuning: LabTuning): string {
  const pg = ports.postgres[member.index] ?? 0;
  const rest = ports.patroniRest[member.index] ?? 0;
  return `scope: certainty-lab
name: ${member.name}
restapi:
  listen: 127.0.0.1:${rest}
  connect_address: 127.0.0.1:${rest}
etcd3:
  hosts: ${ports.etcdClient.map((p) => `127.0.0.1:${p}`).join(',')}
bootstrap:
  dcs:
    ttl: ${tuning.patroniTtl}
    loop_wait: ${tuning.patroniLoopWait}
    retry_timeout: ${tuning.patroniRetryTimeout}
    # A primary whose PostgreSQL crashed under a live Patroni fails over at once instead of being
    # restarted in place (300 s allowed by default): with synchronous_mode the sync standby has
    # every acknowledged commit. Patroni 3.0 name; master_start_timeout before.
    primary_start_timeout: 0
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    synchronous_mode_strict: false
    postgresql:
      use_pg_rewind: true
      remove_data_directory_on_rewind_failure: true
      remove_data_directory_on_diverged_timelines: true
      parameters:
        wal_level: replica
        hot_standby: 'on'
        wal_log_hints: 'on'
        max_connections: 200
        max_wal_senders: 10
        max_replication_slots: 10
        synchronous_commit: 'on'
  initdb:
    - encoding: UTF8
    - locale: C.UTF-8
    - data-checksums
  post_bootstrap: ${q(member.postBootstrap)}
postgresql:
  listen: 127.0.0.1:${pg}
  connect_address: 127.0.0.1:${pg}
  data_dir: ${q(member.dataDir)}
  bin_dir: ${q(member.binDir)}
  pgpass: ${q(`${member.dir}/pgpass`)}
  # A fast checkpoint: the default spread one makes a new replica wait minutes on an idle primary.
  basebackup:
    - checkpoint: fast
  authentication:
    superuser: { username: postgres, password: ${q(secrets.superuser)} }
    replication: { username: replicator, password: ${q(secrets.replication)} }
  pg_hba:
    - host replication replicator 127.0.0.1/32 scram-sha-256
    - host all all 127.0.0.1/32 scram-sha-256
  parameters:
    unix_socket_directories: ${q(member.dir)}
    password_encryption: scram-sha-256
tags:
  nofailover: false
  noloadbalance: false
`;
}

/** Run by Patroni once, on the member that initialises the cluster, with a superuser conninfo. */
export function postBootstrapScript(binDir: string, secrets: LabSecrets): string {
  const password = secrets.certainty.replace(/'/g, "''");
  // The SQL goes on stdin, not on psql's command line, where any local user could read it.
  return `#!/bin/sh
set -e
"${binDir}/psql" -v ON_ERROR_STOP=1 -X -q "$1" <<'SQL'
CREATE ROLE certainty LOGIN PASSWORD '${password}';
CREATE DATABASE certainty OWNER certainty;
SQL
`;
}

function haproxyGlobal(socket: string): string[] {
  return ['global', `  stats socket ${socket} mode 600 level admin`, '  log stdout format raw local0', ''];
}

/** The backend a node's database connections fall back to while no primary is UP. */
export const READ_ONLY_SUFFIX = '_read_only';

/**
 * HAProxy in front of Patroni, tcp mode: `listen db` for tools and one front end per node, so a
 * drill can cut one node off the database alone. Primary servers are checked with Patroni's
 * `OPTIONS /primary` (200 only on the leader); `shutdown-sessions` makes pools drop connections to
 * a primary that lost the leader key instead of writing to it until a timeout. While no primary is
 * UP (a failover), a node's connections go to `db_node<i>_read_only`, checked with
 * `/read-only` (any running member): the node keeps serving reads and refuses writes with a
 * retryable 503 instead of being cut off, and a standby that is promoted stays UP there, so its
 * connections become writable at once.
 */
export function dbHaproxyConfig(ports: LabPorts, socket: string, interMs: number): string {
  const servers = ports.postgres.map((p, i) => `  server pg${i + 1} 127.0.0.1:${p} check port ${ports.patroniRest[i]}`);
  const checked = (path: string): string[] => [
    `  option httpchk OPTIONS ${path}`,
    '  http-check expect status 200',
    // A refused connection marks the server down at once (not after `fall` checks): a crashed
    // primary stops taking connections before its checks notice, so nodes fall back sooner.
    `  default-server inter ${interMs}ms fall 2 rise 2 on-marked-down shutdown-sessions observe layer4 error-limit 1 on-error mark-down`,
    ...servers,
    '',
  ];
  const listen = (name: string, port: number): string[] => [`listen ${name}`, `  bind 127.0.0.1:${port}`, ...checked('/primary')];
  const nodeFront = (name: string, port: number): string[] => [
    `frontend ${name}`,
    `  bind 127.0.0.1:${port}`,
    `  use_backend ${name} if { nbsrv(${name}) gt 0 }`,
    `  default_backend ${name}${READ_ONLY_SUFFIX}`,
    '',
    `backend ${name}`,
    ...checked('/primary'),
    `backend ${name}${READ_ONLY_SUFFIX}`,
    ...checked('/read-only'),
  ];
  return [
    ...haproxyGlobal(socket),
    'defaults',
    '  mode tcp',
    '  log global',
    '  option tcplog',
    '  option dontlog-normal',
    '  timeout connect 2s',
    // Pooled connections sit idle for long stretches; a short timeout would cut them for nothing.
    '  timeout client 30m',
    '  timeout server 30m',
    '  timeout check 2s',
    '',
    ...listen('db', ports.db),
    ...ports.dbNode.flatMap((p, i) => nodeFront(`db_node${i + 1}`, p)),
  ].join('\n');
}

/** One `server` line of the ACME front's backend. */
interface FrontBackend {
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

export interface FrontConfigOptions {
  readonly backends: readonly FrontBackend[];
  /** `http`: per-request balancing, plain HTTP front, TLS to the nodes; `tcp`: TLS passthrough. */
  readonly mode: 'http' | 'tcp';
  /** Backends speak TLS; in http mode verified against `caFile` (none: `verify none`). */
  readonly backendTls?: { readonly caFile?: string };
  /** Health-check `inter`; default 500 ms, with `fall 2 rise 2`. */
  readonly checkIntervalMs?: number;
  readonly frontPort: number;
  readonly socketPath: string;
}

/** The front's backend name, as `show stat` reports it. */
export const FRONT_BACKEND = 'certainty';

/**
 * The ACME front (docs/ha.md explains each choice):
 * - `retry-on conn-failure` with `option redispatch 1`: a request that could not even be sent
 *   (node killed, port closed) goes to another node; nothing that may have reached a node is
 *   replayed, because an ACME POST is not idempotent (its nonce is consumed, its order created).
 * - A CA's http-01 validation (`GET /.well-known/acme-challenge/…`, which every node answers the
 *   same from the database) is idempotent: it is also retried on another node when its node died
 *   under it (`empty-response`), or the CA sees a 502 and fails the validation.
 * - `on-marked-down shutdown-sessions`: connections to a node that failed its checks are cut, so
 *   no client waits on a dead node; a draining node answers 404 and is soft-stopped instead.
 */
export function frontHaproxyConfig(options: FrontConfigOptions): string {
  const inter = options.checkIntervalMs ?? 500;
  const tls = options.backendTls;
  const serverTls = tls === undefined
    ? ''
    : options.mode === 'tcp'
      ? ' check-ssl verify none'
      : ` ssl check-ssl ${tls.caFile === undefined ? 'verify none' : `verify required ca-file ${tls.caFile}`}`;
  const http = options.mode === 'http';
  return [
    ...haproxyGlobal(options.socketPath),
    'defaults',
    `  mode ${options.mode}`,
    '  log global',
    ...(http ? ['  option httplog', '  option dontlog-normal'] : ['  option tcplog', '  option dontlog-normal']),
    // The client's address for per-address limits; nodes believe it only with server.trustedProxies.
    ...(http ? ['  option forwardfor'] : []),
    '  timeout connect 2s',
    '  timeout client 60s',
    '  timeout server 60s',
    '  timeout check 2s',
    ...(http ? ['  timeout http-request 10s', '  timeout http-keep-alive 10s'] : []),
    '  retries 2',
    ...(http ? ['  retry-on conn-failure empty-response junk-response'] : []),
    '  option redispatch 1',
    `  default-server inter ${inter}ms fastinter ${inter}ms downinter ${inter}ms fall 2 rise 2 on-marked-down shutdown-sessions`,
    '',
    'frontend acme',
    `  bind 127.0.0.1:${options.frontPort}`,
    `  default_backend ${FRONT_BACKEND}`,
    '',
    `backend ${FRONT_BACKEND}`,
    '  balance roundrobin',
    '  option httpchk GET /readyz',
    // 404 (a draining node) puts the server in soft stop: no new requests, nothing cut.
    '  http-check disable-on-404',
    '  http-check expect rstatus ^(200|404)$',
    ...(http ? ['  http-request disable-l7-retry unless { path_beg /.well-known/acme-challenge/ }', `  http-response set-header ${BACKEND_HEADER} %s`] : []),
    ...options.backends.map((b) => `  server ${b.name} ${b.host}:${b.port} check${serverTls}`),
    '',
  ].join('\n');
}

/** The nodes' config file: the drill's names, and limits a load test does not hit. */
export function certaintyConfig(): Record<string, unknown> {
  const high = (windowSeconds: number): { limit: number; windowSeconds: number } => ({ limit: 1_000_000, windowSeconds });
  return {
    policy: { allowedDomains: ['lab.test'] },
    rateLimits: {
      ordersPerAccount: high(3600),
      certificatesPerName: high(7 * 86400),
      failedValidationsPerAccount: high(3600),
      // Every drill client reaches the nodes through HAProxy, from one address.
      accountsPerAddress: high(3600),
    },
    // Fail fast on a dead primary behind HAProxy; statements stay below HAProxy's timeouts.
    database: { connectTimeoutSeconds: 3, statementTimeoutMs: 15_000 },
    // The renewal drills revoke a fleet at their upstream and time how soon the nodes notice: with
    // the defaults (a day between ARI polls, a duty a minute) a drill would wait for hours.
    lifecycle: { checkPeriodMs: 1_000, ariPollMaxMs: 5_000 },
  };
}
