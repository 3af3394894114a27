/** A periodic duty: enqueued as a job of kind `DUTY_JOB` once per period, cluster-wide. */
export interface Duty {
  name: string;
  periodMs: number;
}

/** The job kind the scheduler enqueues for every duty (its payload names the duty). */
export const DUTY_JOB = 'duty';

/**
 * The cluster-wide periodic duties, each enqueued once per period by the scheduler lease holder.
 * What each one does is wired in src/duties.ts; the drills (src/lab) time their resumption.
 */
export function clusterDuties(periods: { housekeepingPeriodMs: number; crlPeriodMs: number; lifecyclePeriodMs?: number }): readonly Duty[] {
  return [
    { name: 'housekeeping', periodMs: periods.housekeepingPeriodMs },
    { name: 'crl', periodMs: periods.crlPeriodMs },
    // The SSH KRL, rebuilt when revocations moved past it (src/ssh/publish-krl.ts), as often as the CRLs.
    { name: 'ssh-krl', periodMs: periods.crlPeriodMs },
    // Secrets: versions past delete_version_after and scheduled rotations, as often as housekeeping.
    { name: 'secrets', periodMs: periods.housekeepingPeriodMs },
    // Notifications whose delivery job gave up are queued again (src/notify/deliver.ts).
    { name: 'notify', periodMs: periods.housekeepingPeriodMs },
    // Managed certificates due for renewal or an ARI poll (src/lifecycle/due.ts).
    ...(periods.lifecyclePeriodMs === undefined ? [] : [{ name: 'lifecycle', periodMs: periods.lifecyclePeriodMs }]),
    // TLS probes whose time has come (src/lifecycle/probe/duty.ts), looked for as often.
    ...(periods.lifecyclePeriodMs === undefined ? [] : [{ name: 'probes', periodMs: periods.lifecyclePeriodMs }]),
  ];
}
