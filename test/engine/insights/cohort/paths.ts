import { ShardedKeyNames, type Bitmapist, type CohortOptions, type CohortResult } from '../../../../src/index.js';
import { RedisBlockRegistry, SINGLE_BLOCK } from '../../../../src/engine/keys/blocks.js';
import { planCohort } from '../../../../src/engine/insights/cohort/plan.js';
import { CohortRunner, type CohortLimits } from '../../../../src/engine/insights/cohort/runner.js';

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

/** The two ways a cohort is counted, for tests that hold for both: in the process (small ones) and in Redis. */
export function cohortPaths(bm: Bitmapist): [string, GetCohort][] {
  return [
    ['counted in the process', (primary, secondary, options) => bm.getCohort(primary, secondary, options)],
    ['counted in Redis', cohortInRedis(bm)],
  ];
}
