import { shift, startOf, type MarkModel, type Unit } from './model.js';

/** The lifecycle written out plainly with sets, period by period (the period before the range is index 0). */
export function lifecycleModel(model: MarkModel, event: string, unit: Unit, periods: number, now: Date, created?: string) {
  const last = startOf(unit, now);
  const starts = Array.from({ length: periods + 1 }, (_, k) => shift(unit, last, k - periods));
  const active = starts.map((start) => model.users(event, unit, start));
  const out = { dates: starts.slice(1), active: [] as number[], new: [] as number[], returning: [] as number[], resurrecting: [] as number[], dormant: [] as number[] };
  for (let k = 1; k <= periods; k++) {
    const born = created === undefined ? undefined : model.users(created, unit, starts[k]!);
    let fresh = 0;
    let returning = 0;
    let resurrecting = 0;
    for (const uid of active[k]!) {
      const earlier = active.slice(0, k).some((set) => set.has(uid));
      if (born ? born.has(uid) : !earlier) fresh++;
      else if (active[k - 1]!.has(uid)) returning++;
      else resurrecting++;
    }
    out.active.push(active[k]!.size);
    out.new.push(fresh);
    out.returning.push(returning);
    out.resurrecting.push(resurrecting);
    out.dormant.push([...active[k - 1]!].filter((uid) => !active[k]!.has(uid)).length);
  }
  return out;
}
