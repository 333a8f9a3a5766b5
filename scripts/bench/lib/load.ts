/** Fixed-time HTTP load with autocannon, summarised the same way for every case. */
import autocannon from 'autocannon';

/** What one load run measured. */
export interface LoadResult {
  /** Completed requests. */
  requests: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  /** Responses outside 2xx. */
  non2xx: number;
  /** Connection errors and timeouts. */
  errors: number;
  /** Count per status code. */
  statuses: Record<string, number>;
}

/** One request shape, rebuilt before every send when `setupRequest` is given. */
export type LoadRequest = autocannon.Request;

/** Runs `connections` keep-alive connections against `url` for `seconds`, sending `request` over and over. */
export async function runLoad(url: string, request: LoadRequest, connections: number, seconds: number): Promise<LoadResult> {
  const r = await autocannon({ url, connections, duration: seconds, timeout: 30, requests: [request] });
  const statuses = Object.fromEntries(Object.entries(r.statusCodeStats).map(([code, s]) => [code, s.count]));
  return {
    requests: r.requests.total,
    seconds: r.duration,
    rps: r.requests.total / r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    statuses,
  };
}
