import type { BlockRegistry } from './blocks.js';
import { assembleCohort, cohortRowCall, type CohortPlan, type CohortResult } from './cohort.js';
import { SCRATCH_TTL_MS } from './evaluator.js';
import type { KeyNames } from './keys.js';
import { runScript, type RedisClient } from './scripts.js';

/** Runs planned cohorts through the `cohort_row` script. */
export class CohortRunner {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: KeyNames,
    private readonly registry: BlockRegistry,
  ) {}

  /** Runs every row of a planned cohort (one call per row and block, all in parallel) and adds blocks up. */
  async cohort(plan: CohortPlan): Promise<CohortResult> {
    const blocks = await this.registry.inUse();
    const replies = await Promise.all(
      plan.rows.map(async (row) => {
        const perBlock = await Promise.all(
          blocks.map((block) => {
            const { keys, args } = cohortRowCall(
              plan.mode,
              row,
              (leaf) => this.keys.eventKey(leaf.event, leaf.suffix, block),
              this.keys.scratchKeys(4, block),
              SCRATCH_TTL_MS,
            );
            return runScript(this.redis.bitmapistCohortRow(keys.length, ...keys, ...args));
          }),
        );
        return addUp(perBlock);
      }),
    );
    return assembleCohort(plan, replies);
  }
}

/** Adds the per-block replies of one cohort row cell by cell. */
function addUp(replies: number[][]): number[] {
  const sum: number[] = [];
  for (const reply of replies) reply.forEach((value, i) => (sum[i] = (sum[i] ?? 0) + value));
  return sum.length > 0 ? sum : [0];
}
