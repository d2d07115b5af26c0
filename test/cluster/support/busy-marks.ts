/** The user the forgetUser Cluster test forgets (block 16 with shardBits 8, bit 146). */
export const FORGOTTEN = 4242;
/** Other users of the same block (its neighbours' bits share its bytes) and of other blocks. */
export const OTHERS = [4241, 4243, 4240, 4244, 4100, 4351, 3986, 146, 9000] as const;
const DAY_MS = 86_400_000;
const START = Date.UTC(2025, 0, 6);

/** The i-th mark of the busy marker: other users only, over 20 events and 40 days. */
export function markOf(i: number): { event: string; uid: number; now: Date } {
  return { event: `e${i % 20}`, uid: OTHERS[i % OTHERS.length]!, now: new Date(START + (Math.floor(i / 20) % 40) * DAY_MS) };
}

/** A mark of the forgotten user, one per event and day. */
export function forgottenMarks(): { event: string; uid: number; now: Date }[] {
  return Array.from({ length: 20 * 40 }, (_, i) => ({ event: `e${i % 20}`, uid: FORGOTTEN, now: new Date(START + Math.floor(i / 20) * DAY_MS) }));
}
