import type { Cluster, Redis } from 'ioredis';

/**
 * Hears every script call made on a client: the script (its `lua/` file without `.lua`, e.g. `mark_many`) and
 * the seconds from the call to its reply, failed calls included.
 */
export type ScriptCallObserver = (script: string, seconds: number) => void;

const observersByClient = new WeakMap<object, ScriptCallObserver[]>();

/** The observers of a client: one array per client, changed in place, so a site made earlier sees later ones. */
function observersOf(client: object): ScriptCallObserver[] {
  let observers = observersByClient.get(client);
  if (observers === undefined) observersByClient.set(client, (observers = []));
  return observers;
}

/**
 * Reports every script call on `client` to `observer` until the returned function is called. This is how a
 * layer above the engine (the Koa plugin's histograms) times script calls: the engine calls upward only
 * through the functions registered here, and imports nothing above it.
 */
export function observeScriptCalls(client: Redis | Cluster, observer: ScriptCallObserver): () => void {
  const observers = observersOf(client);
  observers.push(observer);
  return () => {
    const index = observers.indexOf(observer);
    if (index >= 0) observers.splice(index, 1);
  };
}

/** One script on one client: where the calls `runScript` times are reported. */
export class ScriptCallSite {
  constructor(
    readonly script: string,
    private readonly observers: readonly ScriptCallObserver[],
  ) {}

  /** Whether anyone listens (else `runScript` does not even read the clock). */
  get observed(): boolean {
    return this.observers.length > 0;
  }

  /** Reports a call that started at `startedMs` (`performance.now()`) and has just settled. */
  report(startedMs: number): void {
    const seconds = (performance.now() - startedMs) / 1000;
    for (let i = 0; i < this.observers.length; i += 1) {
      try {
        this.observers[i]!(this.script, seconds);
      } catch {
        // An observer must never turn a script call's answer into an error.
      }
    }
  }
}

// The call issued last and its site: `runScript` is handed that call right away (`runScript(redis.bitmapistX(...))`).
let issuedCall: unknown;
let issuedSite: ScriptCallSite | undefined;
/** The client and arguments (`numkeys, ...keys, ...args`) of the script call issued last. */
let issuedClient: unknown;
let issuedArgs: IArguments | undefined;

/**
 * Puts a command `defineCommands` registered behind a wrapper that remembers, without allocating, which script
 * of which client the call it returns is, for {@link takeIssuedSite}.
 */
export function timedCommand<Send extends (...args: never[]) => unknown>(client: object, script: string, send: Send): Send {
  const site = new ScriptCallSite(script, observersOf(client));
  return function bitmapistScriptCall(this: unknown) {
    // `arguments`, not a rest parameter: passed on without copying them into an array.
    const call = send.apply(this, arguments as unknown as Parameters<Send>);
    issuedCall = call;
    issuedSite = site;
    issuedClient = this;
    issuedArgs = arguments;
    return call;
  } as Send;
}

/**
 * The site of `call` if it is the script call issued last (a call not handed straight to `runScript` is not
 * timed, never counted under another script), and only when someone observes its client.
 */
export function takeIssuedSite(call: unknown): ScriptCallSite | undefined {
  const site = call === issuedCall ? issuedSite : undefined;
  issuedCall = issuedSite = undefined;
  return site?.observed ? site : undefined;
}

/** The client and arguments (`numkeys, ...keys, ...args`) of a script call. */
export interface IssuedCall {
  client: unknown;
  args: IArguments;
}

/**
 * The client and arguments of `call` if it is the script call issued last; read before {@link takeIssuedSite},
 * which forgets it.
 */
export function takeIssuedCall(call: unknown): IssuedCall | undefined {
  if (call !== issuedCall || issuedArgs === undefined) return undefined;
  const issued = { client: issuedClient, args: issuedArgs };
  issuedClient = issuedArgs = undefined;
  return issued;
}

/** The keys of an issued call (its arguments after `numkeys`, as many as it says). */
export function keysOf(issued: IssuedCall): string[] {
  return Array.prototype.slice.call(issued.args, 1, 1 + Number(issued.args[0])).map(String);
}
