import { ShardedKeyNames, type Bitmapist, type CohortOptions, type CohortResult } from '../../../../src/index.js';
import { RedisBlockRegistry, SINGLE_BLOCK } from '../../../../src/engine/keys/blocks.js';
import { planCohort } from '../../../../src/engine/insights/cohort/plan.js';
import { CohortRunner, type CohortLimits } from '../../../../src/engine/insights/cohort/runner.js';
import { MAX_LOCAL_BYTES } from '../../../../src/engine/insights/cohort/local.js';

/** A runner of `bm`'s cohorts with these limits, counting in Redis (never in the process) unless `localBytes` says so. */
export function cohortRunner(bm: Bitmapist, limits: Partial<CohortLimits> = {}): CohortRunner {
  const registry = bm.keys instanceof ShardedKeyNames ? new RedisBlockRegistry(bm.redis, bm.keys) : SINGLE_BLOCK;
  return new CohortRunner(bm.redis, bm.keys, registry, { localBytes: 0, ...limits });
}

type GetCohort = (primary: string, secondary: string, options?: CohortOptions) => Promise<CohortResult>;

/** `getCohort` of `bm` counted in Redis, as bigger cohorts are (UTC engines). */
export function cohortInRedis(bm: Bitmapist, limits: Partial<CohortLimits> = {}): GetCohort {
  const runner = cohortRunner(bm, limits);
  return (primary, secondary, options) => runner.cohort(planCohort(primary, secondary, options, undefined, bm));
}

/**
 * The ways a cohort is counted, for tests that hold for all: in the process, read at once (short bitmaps) or after
 * the windows pass (long bitmaps, narrow windows); and in Redis.
 */
export function cohortPaths(bm: Bitmapist): [string, GetCohort][] {
  const afterWindows = cohortRunner(bm, { localBytes: MAX_LOCAL_BYTES, localScanBytes: 0 });
  return [
    ['counted in the process', (primary, secondary, options) => bm.getCohort(primary, secondary, options)],
    ['counted in the process after the windows pass', (primary, secondary, options) => afterWindows.cohort(planCohort(primary, secondary, options, undefined, bm))],
    ['counted in Redis', cohortInRedis(bm)],
  ];
}
