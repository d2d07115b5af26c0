import { MAP_FULL, mapFullError, type IdMap } from '../ids/id-map.js';
import type { PendingMark } from './batcher.js';

/** A mark of the {@link AskingWriter} that could not be sent when it was issued. */
interface Held {
  mark: PendingMark;
  run: Run;
  /** Settles the mark's promise (with its write's promise once it is sent). */
  resolve: (written?: Promise<void>) => void;
  reject: (error: unknown) => void;
}

/**
 * The marks of one bit of an id not sent yet, issued one after another: a mark of the other bit issued later
 * starts a new run, sent once this one is (a mark and an unmark of one id land in issue order; marks of one bit
 * of an id may land in any order, as they set or clear the same bits).
 */
interface Run {
  bit: 0 | 1;
  /** The previous run of the id (the other bit), when it was not sent yet as this one began. */
  before?: Promise<void>;
  /** Marks of the run not sent yet. */
  left: number;
  /** Resolves once every mark of the run is sent (or has failed). */
  sent: Promise<void>;
  finish: () => void;
}

/** What the writer needs of its marker. */
export interface AskingWriterHost {
  readonly idMap: IdMap;
  /** Whether this process may write (the id mode check passed), and the check itself. */
  readonly guard: { readonly ready: boolean; check(): Promise<void> };
  /** Names a mark's keys and bit for its id's integer. */
  place(mark: PendingMark, integer: number): void;
  /** Sends marks whose integers are known; one promise per mark. */
  writeResolved(bit: 0 | 1, marks: PendingMark[]): Promise<void>[];
  /**
   * On a Cluster, how long the marks a shard answered wait for the batch's other shards before they are sent
   * without them (a master that does not answer holds back only its own shards' ids); undefined: they wait for
   * every shard (one server, where all shards answer over one connection).
   */
  readonly lingerMs?: number;
}

/**
 * Writes marks of mapped ids in the sharded layout, where an id's integer comes from its map shard (one call per
 * shard, each answering on its own) before its marks can be sent. A mark whose integer this process knows is
 * sent at once. The others of a batch are sent together once their shards have answered; on a Cluster, the
 * ones answered wait at most `lingerMs` for the others, so a master that does not answer holds back only the
 * marks of its shards' ids. A shard's failure (an outage) rejects only its ids' marks, and a new id past the
 * cap (a full map) only its own. The marks of one id keep their issue order whatever answers first: a mark
 * waits for the earlier marks of its id of the other bit that are not sent yet (see {@link Run}), even when the
 * id is cached meanwhile.
 */
export class AskingWriter {
  /** Per id, its latest run of marks not sent yet. */
  private readonly unsent = new Map<string, Run>();

  constructor(private readonly host: AskingWriterHost) {}

  /** Writes a batch of one bit; one promise per mark. */
  write(bit: 0 | 1, marks: readonly PendingMark[]): Promise<void>[] {
    const { guard } = this.host;
    const results: Promise<void>[] = new Array(marks.length);
    const now: PendingMark[] = [];
    const nowAt: number[] = [];
    const fresh: Held[] = [];
    /** Marks that wait for their id's run of the other bit, and those runs: located together once all are sent. */
    const behind: Held[] = [];
    const runsBefore = new Set<Promise<void>>();
    marks.forEach((mark, i) => {
      const id = mark.id!;
      const latest = this.unsent.get(id);
      // Marks of the same bit waiting only for their answers: this mark may go before them.
      const free = latest === undefined || (latest.bit === bit && latest.before === undefined);
      if (free && guard.ready && this.located(mark)) {
        now.push(mark);
        nowAt.push(i);
        return;
      }
      let run = latest;
      if (run === undefined || run.bit !== bit) {
        let finish!: () => void;
        const sent = new Promise<void>((resolve) => (finish = resolve));
        run = { bit, before: latest?.sent, left: 0, sent, finish };
        this.unsent.set(id, run);
      }
      run.left += 1;
      let held!: Held;
      results[i] = new Promise<void>((resolve, reject) => (held = { mark, run: run!, resolve, reject }));
      if (run.before === undefined) fresh.push(held);
      else {
        behind.push(held);
        runsBefore.add(run.before);
      }
    });
    if (now.length > 0) this.host.writeResolved(bit, now).forEach((written, j) => (results[nowAt[j]!] = written));
    if (fresh.length > 0) this.locate(bit, fresh);
    if (behind.length > 0) void Promise.all(runsBefore).then(() => this.locate(bit, behind));
    return results;
  }

  /** Finds the integers of held marks (once this process may write): from the cache, else from their shards. */
  private locate(bit: 0 | 1, held: Held[]): void {
    const { idMap, guard } = this.host;
    if (!guard.ready) {
      guard.check().then(
        () => this.locate(bit, held),
        (error: unknown) => held.forEach((one) => this.failed(one, error)),
      );
      return;
    }
    const known: Held[] = [];
    const asking: Held[] = [];
    for (const one of held) (this.located(one.mark) ? known : asking).push(one);
    if (known.length > 0) this.send(bit, known);
    if (asking.length === 0) return;
    const epoch = idMap.epoch;
    const shards = idMap.ask(asking.map((one) => one.mark.id!), bit === 1);
    // The marks answered so far, sent once every shard has answered, or (on a Cluster) once the linger is over.
    let answered: Held[] = [];
    let integers: number[] = [];
    let waiting = shards.length;
    let lingering: NodeJS.Timeout | undefined;
    let late = false;
    const flush = () => {
      if (answered.length > 0) this.send(bit, answered, { epoch, integers });
      answered = [];
      integers = [];
    };
    const settled = () => {
      waiting -= 1;
      if (waiting === 0 || late) {
        clearTimeout(lingering);
        flush();
      } else if (this.host.lingerMs !== undefined && lingering === undefined && answered.length > 0) {
        lingering = setTimeout(() => {
          late = true;
          flush();
        }, this.host.lingerMs);
      }
    };
    for (const shard of shards) {
      const { positions } = shard;
      shard.integers.then(
        (found) => {
          positions.forEach((position, j) => {
            const one = asking[position]!;
            if (found[j] === MAP_FULL) return this.failed(one, mapFullError(idMap.maxInteger));
            // An unmark of an id never seen (-1) has nothing to clear.
            if (found[j]! < 0) return this.sent(one);
            this.host.place(one.mark, found[j]!);
            answered.push(one);
            integers.push(found[j]!);
          });
          settled();
        },
        (error: unknown) => {
          positions.forEach((position) => this.failed(asking[position]!, error));
          settled();
        },
      );
    }
  }

  /**
   * Sends located marks in one write, then caches the answers they were located by: until now a later mark of
   * one of their ids asked its shard too instead of being sent from the cache ahead of them.
   */
  private send(bit: 0 | 1, held: Held[], answers?: { epoch: number; integers: number[] }): void {
    const written = this.host.writeResolved(bit, held.map((one) => one.mark));
    held.forEach((one, i) => {
      if (answers) this.host.idMap.rememberAnswer(answers.epoch, one.mark.id!, answers.integers[i]!);
      this.sent(one, written[i]);
    });
  }

  /** Whether a mark's integer is known: located when prepared, or now from the cache (then placed). */
  private located(mark: PendingMark): boolean {
    if (mark.uid >= 0) return true;
    const integer = this.host.idMap.cached(mark.id!);
    if (integer === undefined) return false;
    this.host.place(mark, integer);
    return true;
  }

  /** Settles a held mark that was sent (or had nothing to write) with its write's promise. */
  private sent(held: Held, written?: Promise<void>): void {
    held.resolve(written);
    this.release(held);
  }

  /** Rejects a held mark that could not be located. */
  private failed(held: Held, error: unknown): void {
    held.reject(error);
    this.release(held);
  }

  /** Counts a held mark out of its run; the last one lets the id's next run go. */
  private release({ run, mark }: Held): void {
    run.left -= 1;
    if (run.left > 0) return;
    run.finish();
    if (this.unsent.get(mark.id!) === run) this.unsent.delete(mark.id!);
  }
}
