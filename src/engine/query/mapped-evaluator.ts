import type { Evaluator } from './evaluator.js';
import type { ExpressionEvaluator } from './event-set.js';
import type { Expression } from './expression.js';
import type { IdMap } from '../ids/id-map.js';

/**
 * Mapped mode's reads: the same evaluation over the internal integers, with the app's ids in and out.
 * `has(id)` of an id never marked is false without reading any bitmap (and allocates nothing); `ids()` turns
 * the integers into the app's ids (ascending integers: order of first sight), leaving out an integer whose
 * id was forgotten.
 */
export class MappedEvaluator implements ExpressionEvaluator<string> {
  constructor(
    private readonly evaluator: Evaluator,
    private readonly idMap: IdMap,
  ) {}

  evaluateCount(expression: Expression): Promise<number> {
    return this.evaluator.evaluateCount(expression);
  }

  async evaluateHas(expression: Expression, uid: unknown): Promise<boolean> {
    const integer = await this.idMap.lookup(uid);
    return integer !== undefined && this.evaluator.evaluateHas(expression, integer);
  }

  async evaluateIds(expression: Expression): Promise<string[]> {
    const ids = await this.idMap.idsOf(await this.evaluator.evaluateIds(expression));
    return ids.filter((id): id is string => id !== undefined);
  }
}
