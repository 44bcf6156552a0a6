/** What a load saw around a failure (pure): lib/lab/failover.ts `analyzeLoad`. */
import { LoadRecord, analyzeLoad } from '../../../lib/lab/failover';

/** One request per 100 ms from t = 0 s: `fail(i)` decides which failed. */
function records(n: number, fail: (i: number) => boolean): LoadRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    start: i / 10,
    end: i / 10 + 0.02,
    status: fail(i) ? 0 : 200,
    error: fail(i) ? 'ConnectionRefusedError' : undefined,
  }));
}

describe('analyzeLoad', () => {
  test('counts what was lost and when requests succeeded again after the event', () => {
    // Killed at 1.0 s; requests 10..29 (1.0 s to 2.9 s) fail; request 30 (3.0 s) is the first to succeed.
    const r = analyzeLoad(
      records(100, (i) => i >= 10 && i < 30),
      1000,
    );
    expect(r).toMatchObject({ total: 100, ok: 80, failed: 20, lostPercent: 20, failures: { ConnectionRefusedError: 20 } });
    expect(r.recoverySeconds).toBeCloseTo(2.02, 5);
    expect(r.outage).toEqual({ first: 1, last: 2.92, failed: 20 });
  });

  test('requests succeed again at the start of a stable run (1 s of successes): a short run between failures is not it', () => {
    // Failures 10..14, successes 15..19 (0.4 s), a failure at 20, then successes.
    const r = analyzeLoad(
      records(50, (i) => (i >= 10 && i < 15) || i === 20),
      1000,
    );
    expect(r.recoverySeconds).toBeCloseTo(1.12, 5);
    expect(r).toMatchObject({ failed: 6, laterFailures: 0, outage: { failed: 6 } });
  });

  test('a lone failure long after the recovery is a later failure, not a longer outage', () => {
    const r = analyzeLoad(
      records(100, (i) => (i >= 10 && i < 20) || i === 80),
      1000,
    );
    expect(r.recoverySeconds).toBeCloseTo(1.02, 5);
    expect(r).toMatchObject({ failed: 11, laterFailures: 1, outage: { failed: 10 } });
  });

  test('nothing failed: recovery 0; never recovered: undefined', () => {
    expect(
      analyzeLoad(
        records(20, () => false),
        500,
      ).recoverySeconds,
    ).toBe(0);
    expect(
      analyzeLoad(
        records(20, (i) => i >= 5),
        500,
      ).recoverySeconds,
    ).toBeUndefined();
    expect(analyzeLoad([], 0)).toMatchObject({ total: 0, lostPercent: 0 });
  });
});
