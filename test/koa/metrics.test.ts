import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import Koa from 'koa';
import { koaBitmapist, PROMETHEUS_CONTENT_TYPE, SCRIPT_CALL_BUCKETS, type KoaBitmapist, type KoaBitmapistOptions } from '../../src/koa/index.js';
import { startRedisServer, type RedisServer } from '../../src/testing/index.js';
import { BitmapistArgumentError } from '../../src/index.js';
import { runScript } from '../../src/engine/redis/scripts.js';
import { testRedisUrl } from '../support/redis.js';
import { quiet, serve, testApp } from './support.js';

/** One sample of the exposition text, its label values unescaped. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const FLOAT = /^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]Inf|NaN)$/;

/** Splits `{a="x",b="y"}` into label values, refusing any escape but \\, \" and \n. */
function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest !== '') {
    const match = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/.exec(rest);
    if (!match) throw new Error(`bad labels in: ${line}`);
    const [whole, name, raw] = match as unknown as [string, string, string];
    if (name in labels) throw new Error(`label ${name} twice in: ${line}`);
    labels[name] = raw.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(whole.length);
  }
  return labels;
}

/**
 * A strict reader of the Prometheus text format 0.0.4: HELP and TYPE before a family's samples, families
 * contiguous, names, labels, escapes and values by the grammar, no series twice, and every histogram's buckets
 * ascending, cumulative, ending with `+Inf` equal to `_count`, with a `_sum`.
 */
function parsePrometheus(text: string): { types: Map<string, string>; samples: Sample[] } {
  expect(text.endsWith('\n'), 'ends with a line feed').to.equal(true);
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples: Sample[] = [];
  const seen = new Set<string>();
  const closed = new Set<string>();
  let current: string | undefined;
  const familyOf = (name: string) => {
    const base = name.replace(/_(bucket|sum|count)$/, '');
    return types.get(base) === 'histogram' && base !== name ? base : name;
  };
  for (const line of text.slice(0, -1).split('\n')) {
    const comment = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (comment) {
      const [, kind, name, rest] = comment as unknown as [string, string, string, string];
      expect(name).to.match(NAME);
      if (kind === 'TYPE') {
        expect(['counter', 'gauge', 'histogram', 'summary', 'untyped']).to.include(rest);
        expect(types.has(name), `TYPE ${name} once`).to.equal(false);
        types.set(name, rest);
      } else {
        expect(helps.has(name), `HELP ${name} once`).to.equal(false);
        expect(rest).to.not.match(/\\[^\\n]/);
        helps.add(name);
      }
      continue;
    }
    const match = /^([^{\s]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a sample: ${JSON.stringify(line)}`);
    const [, name, labelText, value] = match as unknown as [string, string, string | undefined, string];
    expect(name).to.match(NAME);
    expect(value, line).to.match(FLOAT);
    const family = familyOf(name);
    expect(types.has(family), `TYPE before ${line}`).to.equal(true);
    if (family !== current) {
      expect(closed.has(family), `family ${family} contiguous`).to.equal(false);
      if (current !== undefined) closed.add(current);
      current = family;
    }
    const labels = parseLabels(labelText ?? '', line);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    expect(seen.has(key), `series once: ${line}`).to.equal(false);
    seen.add(key);
    samples.push({ name, labels, value: Number(value.replace('Inf', 'Infinity')) });
  }
  for (const [family, type] of types) {
    if (type !== 'histogram') continue;
    const series = new Map<string, { les: number[]; counts: number[] }>();
    for (const sample of samples.filter((s) => s.name === `${family}_bucket`)) {
      const { le, ...rest } = sample.labels;
      const key = JSON.stringify(Object.entries(rest).sort());
      const entry = series.get(key) ?? { les: [], counts: [] };
      entry.les.push(Number(le!.replace('Inf', 'Infinity')));
      entry.counts.push(sample.value);
      series.set(key, entry);
    }
    for (const [key, { les, counts }] of series) {
      const labels = Object.fromEntries(JSON.parse(key) as [string, string][]);
      const total = find(samples, `${family}_count`, labels);
      expect(les.at(-1)).to.equal(Number.POSITIVE_INFINITY);
      expect(les).to.deep.equal([...les].sort((a, b) => a - b));
      expect(counts).to.deep.equal([...counts].sort((a, b) => a - b));
      expect(counts.at(-1)).to.equal(total);
      expect(find(samples, `${family}_sum`, labels)).to.be.a('number');
    }
  }
  return { types, samples };
}

/** The value of the one sample named `name` with exactly these labels (undefined when there is none). */
function find(samples: Sample[], name: string, labels: Record<string, string>): number | undefined {
  const want = JSON.stringify(Object.entries(labels).sort());
  return samples.find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want)?.value;
}

/** The calls counted by the histogram, by script, of one system. */
function histogramCounts(samples: Sample[], system: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of samples) {
    if (s.name === 'bitmapist_script_call_duration_seconds_count' && s.labels.system === system) counts[s.labels.script!] = s.value;
  }
  return counts;
}

/** Our scripts by their SHA1 and by their source (what an EVALSHA or an EVAL carries first). */
const SCRIPT_OF = new Map(
  readdirSync(new URL('../../lua/', import.meta.url))
    .filter((file) => file.endsWith('.lua'))
    .flatMap((file) => {
      const lua = readFileSync(new URL(`../../lua/${file}`, import.meta.url), 'utf8');
      return [[createHash('sha1').update(lua).digest('hex'), file.slice(0, -4)], [lua, file.slice(0, -4)]];
    }),
);

/**
 * Counts, by script, the script calls a plugin's client sends: each Command once (ioredis sends a Command
 * again after a reconnection: its offline queue and the commands a lost connection left unanswered).
 */
function spyScriptCalls(client: Redis): Record<string, number> {
  const counts: Record<string, number> = {};
  const sent = new WeakSet<object>();
  const send = client.sendCommand.bind(client);
  client.sendCommand = ((command: { name: string; args: unknown[] }, ...rest: unknown[]) => {
    if ((command.name === 'evalsha' || command.name === 'eval') && !sent.has(command)) {
      sent.add(command);
      const script = SCRIPT_OF.get(String(command.args[0])) ?? 'unknown';
      counts[script] = (counts[script] ?? 0) + 1;
    }
    return (send as (...args: unknown[]) => unknown)(command, ...rest);
  }) as Redis['sendCommand'];
  return counts;
}

/** The EVAL and EVALSHA calls a server ran (INFO commandstats). */
async function scriptCallsRun(url: string): Promise<number> {
  const client = new Redis(url);
  try {
    const info = await client.info('commandstats');
    return [...info.matchAll(/^cmdstat_(?:eval|evalsha):calls=(\d+)/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
  } finally {
    client.disconnect();
  }
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const NOW = new Date('2025-03-14T12:00:00Z');
/** A system name with every character the label syntax escapes. */
const ODD_SYSTEM = 'eu "west"\\1\nb';

describe('koa: metrics for Prometheus', () => {
  it('counts marks per system, in metricsBySystem and in the exposition text (odd names escaped)', async () => {
    const t = testApp({ systems: { [ODD_SYSTEM]: testRedisUrl() } });
    try {
      for (const uid of [1, 2, 3]) t.bitmapist.markEvent('visit', uid, { now: NOW });
      for (const uid of [4, 5]) t.bitmapist.markEvent('visit', uid, { now: NOW, system: ODD_SYSTEM });
      expect(await t.bitmapist.flush(5000)).to.equal(0);
      const zero = { queued: 0, dropped: 0, failed: 0 };
      expect(t.bitmapist.metricsBySystem).to.deep.equal({ default: { ...zero, written: 3 }, [ODD_SYSTEM]: { ...zero, written: 2 } });
      expect(t.bitmapist.metrics).to.deep.equal({ ...zero, written: 5 });

      const text = t.bitmapist.metricsText();
      expect(text).to.include('system="eu \\"west\\"\\\\1\\nb"');
      const { types, samples } = parsePrometheus(text);
      expect(Object.fromEntries(types)).to.deep.equal({
        bitmapist_marks_queued: 'gauge',
        bitmapist_mark_queue_limit: 'gauge',
        bitmapist_marks_written_total: 'counter',
        bitmapist_marks_dropped_total: 'counter',
        bitmapist_marks_failed_total: 'counter',
        bitmapist_redis_reachable: 'gauge',
        bitmapist_script_call_duration_seconds: 'histogram',
      });
      for (const [system, written] of [['default', 3], [ODD_SYSTEM, 2]] as const) {
        const values = ['marks_queued', 'mark_queue_limit', 'marks_written_total', 'marks_dropped_total', 'marks_failed_total', 'redis_reachable'].map(
          (name) => find(samples, `bitmapist_${name}`, { system }),
        );
        expect(values).to.deep.equal([0, 10_000, written, 0, 0, 1]);
      }
      const buckets = samples.filter((s) => s.name.endsWith('_bucket') && s.labels.system === 'default' && s.labels.script === Object.keys(histogramCounts(samples, 'default'))[0]);
      expect(buckets.map((s) => s.labels.le)).to.deep.equal([...SCRIPT_CALL_BUCKETS.map(String), '+Inf']);
      expect(buckets[0]!.labels.le).to.equal('0.0001');
    } finally {
      await t.cleanup();
    }
  });

  it('times every script call once, under its script and system: the counts are the calls each Redis ran', async () => {
    const servers: RedisServer[] = await Promise.all([startRedisServer(), startRedisServer()]);
    const app = new Koa();
    const bitmapist = koaBitmapist(app, {
      redisUrl: servers[0]!.url,
      systems: { reports: servers[1]!.url },
      keyPrefix: 'bmtest_metrics_',
      trackUnique: true,
      logger: quiet,
    });
    try {
      const spies = { default: spyScriptCalls(bitmapist.system().redis as Redis), reports: spyScriptCalls(bitmapist.system('reports').redis as Redis) };
      // One mark alone (mark.lua) and a tick's worth together (mark_many.lua), in both systems.
      for (const system of ['default', 'reports']) {
        bitmapist.markEvent('visit', 1, { now: NOW, system });
        await bitmapist.flush(5000);
        for (let uid = 2; uid <= 40; uid += 1) bitmapist.markEvent(uid % 2 ? 'visit' : 'buy', uid, { now: NOW, system });
        await bitmapist.flush(5000);
      }
      await bitmapist.getCohort('visit', 'buy', { timeGroup: 'days', numRows: 3, numCols: 3, now: NOW });
      expect(await bitmapist.getEventData('visit', { now: NOW, system: 'reports' }).count()).to.equal(20);
      expect(await bitmapist.exportUser(7, { system: 'reports' })).to.have.length.above(0);
      expect(await bitmapist.forgetUser(8)).to.be.above(0);

      const { samples } = parsePrometheus(bitmapist.metricsText());
      for (const [index, system] of (['default', 'reports'] as const).entries()) {
        const counts = histogramCounts(samples, system);
        expect(counts, system).to.deep.equal(spies[system]);
        const total = Object.values(counts).reduce((a, b) => a + b, 0);
        expect(total, system).to.equal(await scriptCallsRun(servers[index]!.url));
      }
      expect(Object.keys(histogramCounts(samples, 'default')).sort()).to.include.members(['forget_user', 'mark', 'mark_many', 'read_bitmaps']);
      expect(Object.keys(histogramCounts(samples, 'reports')).sort()).to.include.members(['evaluate', 'mark', 'mark_many', 'user_bits']);
      for (const s of samples.filter((s) => s.name === 'bitmapist_script_call_duration_seconds_sum')) {
        expect(s.value).to.be.above(0).and.below(find(samples, 'bitmapist_script_call_duration_seconds_count', s.labels)!);
      }
    } finally {
      await bitmapist.close();
      await Promise.all(servers.map((server) => server.stop()));
    }
  });

  it('times the scripts of mapped ids and funnels the same way', async () => {
    const server = await startRedisServer();
    const bitmapist = koaBitmapist(new Koa(), { redisUrl: server.url, keyPrefix: 'bmtest_metrics_', userIds: 'mapped', logger: quiet });
    try {
      const spy = spyScriptCalls(bitmapist.engine.redis as Redis);
      for (const [event, uid] of [['signup', 'ann'], ['signup', 'bob'], ['buy', 'ann']] as const) bitmapist.markEvent(event, uid, { now: NOW });
      await bitmapist.flush(5000);
      const funnel = await bitmapist.getFunnel(['signup', 'buy'], { timeGroup: 'days', periods: 1, now: NOW });
      expect(funnel.steps.map((step) => step.count)).to.deep.equal([2, 1]);
      const counts = histogramCounts(parsePrometheus(bitmapist.metricsText()).samples, 'default');
      expect(counts).to.deep.equal(spy);
      expect(Object.keys(counts)).to.include.members(['mark_mapped', 'cohort_windows', 'run_program']);
      expect(Object.values(counts).reduce((a, b) => a + b, 0)).to.equal(await scriptCallsRun(server.url));
    } finally {
      await bitmapist.close();
      await server.stop();
    }
  });

  it('shows an overflow, an outage and marks given up on the system they happen to, not the other', async () => {
    const server = await startRedisServer();
    const t = testApp({ systems: { reports: server.url }, queueLimit: 50 });
    const reportsClient = t.bitmapist.system('reports').redis as Redis;
    const spy = spyScriptCalls(reportsClient);
    const reading = (system: string) => {
      const { samples } = parsePrometheus(t.bitmapist.metricsText());
      const names = ['marks_queued', 'marks_written_total', 'marks_dropped_total', 'marks_failed_total', 'redis_reachable'];
      return Object.fromEntries(names.map((name) => [name, find(samples, `bitmapist_${name}`, { system })]));
    };
    try {
      t.bitmapist.markEvent('visit', 0, { now: NOW, system: 'reports' });
      expect(await t.bitmapist.flush(5000)).to.equal(0);
      await server.kill();
      for (let uid = 1; uid <= 120; uid += 1) t.bitmapist.markEvent('visit', uid, { now: NOW, system: 'reports' });
      for (let uid = 1; uid <= 10; uid += 1) t.bitmapist.markEvent('visit', uid, { now: NOW });
      await until(() => t.bitmapist.metricsBySystem.reports!.dropped === 70 && !t.bitmapist.system('reports').reachable);
      await until(() => t.bitmapist.metricsBySystem.default!.written === 10);
      expect(t.bitmapist.metricsBySystem).to.deep.equal({
        default: { queued: 0, written: 10, dropped: 0, failed: 0 },
        reports: { queued: 50, written: 1, dropped: 70, failed: 0 },
      });
      expect(reading('default')).to.deep.equal({ marks_queued: 0, marks_written_total: 10, marks_dropped_total: 0, marks_failed_total: 0, redis_reachable: 1 });
      expect(reading('reports')).to.deep.equal({ marks_queued: 50, marks_written_total: 1, marks_dropped_total: 70, marks_failed_total: 0, redis_reachable: 0 });

      await server.start();
      expect(await t.bitmapist.flush(10_000)).to.equal(0);
      expect(reading('reports')).to.deep.equal({ marks_queued: 0, marks_written_total: 51, marks_dropped_total: 70, marks_failed_total: 0, redis_reachable: 1 });
      // Every call sent is timed once, the ones that failed during the outage too: none twice, none left out (a
      // write the overflow abandoned may settle after the queue is idle: wait for it). Whether a write was sent
      // before the client saw the server go is a race, so only the calls before and after the outage are sure.
      const timed = () => histogramCounts(parsePrometheus(t.bitmapist.metricsText()).samples, 'reports');
      const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
      await until(() => total(timed()) === total(spy));
      expect(timed()).to.deep.equal(spy);
      expect(total(spy)).to.be.at.least(2);
      // A call Redis refuses is timed like any other.
      const refused = await runScript(reportsClient.bitmapistReadBitmapsBuffer(0, 'not a limit')).catch((error: unknown) => error);
      expect(refused).to.be.instanceOf(BitmapistArgumentError);
      expect(spy.read_bitmaps).to.equal(1);
      expect(timed()).to.deep.equal(spy);

      await server.kill();
      for (let uid = 200; uid < 205; uid += 1) t.bitmapist.markEvent('visit', uid, { now: NOW, system: 'reports' });
      expect(await t.bitmapist.close({ timeout: 300 })).to.equal(5);
      expect(reading('reports')).to.include({ marks_queued: 0, marks_written_total: 51, marks_dropped_total: 70, marks_failed_total: 5 });
      expect(reading('default')).to.include({ marks_written_total: 10, marks_failed_total: 0 });
    } finally {
      await t.cleanup();
      await server.stop();
    }
  });

  describe('GET {prefix}/metrics over HTTP', () => {
    async function metricsApp(options: KoaBitmapistOptions) {
      const t = testApp(options);
      t.bitmapist.markEvent('visit', 1, { now: NOW });
      await t.bitmapist.flush(5000);
      const server = await serve(t.app);
      return {
        bitmapist: t.bitmapist as KoaBitmapist,
        get: (path: string, headers: Record<string, string> = {}) => fetch(`${server.base}${path}`, { headers }),
        async close() {
          await server.close();
          await t.cleanup();
        },
      };
    }

    it('answers 403 without authorize outside development and test, and when authorize refuses', async () => {
      for (const options of [{ env: { NODE_ENV: 'production' } }, { env: {} }, { authorize: () => false }] as KoaBitmapistOptions[]) {
        const t = await metricsApp(options);
        try {
          for (const path of ['/bitmapist/metrics', '/BITMAPIST/Metrics/']) {
            const response = await t.get(path);
            const body = await response.text();
            expect([response.status, body.includes('bitmapist_marks')], `${JSON.stringify(options.env)} ${path}`).to.deep.equal([403, false]);
            expect(body).to.match(options.authorize ? /not allowed to read the bitmapist metrics/ : /authorize\(ctx\) or authorizeMetrics\(ctx\)/);
          }
        } finally {
          await t.close();
        }
      }
    });

    it('answers the exposition text with authorize, as text/plain version 0.0.4, never cached', async () => {
      const t = await metricsApp({ env: { NODE_ENV: 'production' }, authorize: (ctx) => ctx.get('x-admin') === 'yes' });
      try {
        expect((await t.get('/bitmapist/metrics')).status).to.equal(403);
        const response = await t.get('/bitmapist/metrics', { 'x-admin': 'yes' });
        expect(response.status).to.equal(200);
        expect(response.headers.get('content-type')).to.equal(PROMETHEUS_CONTENT_TYPE);
        expect(response.headers.get('cache-control')).to.equal('no-store');
        expect(response.headers.get('x-content-type-options')).to.equal('nosniff');
        const { samples } = parsePrometheus(await response.text());
        expect(find(samples, 'bitmapist_marks_written_total', { system: 'default' })).to.equal(1);
        expect(histogramCounts(samples, 'default')).to.have.property('mark', 1);
      } finally {
        await t.close();
      }
    });

    it('lets authorizeMetrics admit a scraper without opening the dashboard to it', async () => {
      const token = { authorization: 'Bearer s3cret' };
      const t = await metricsApp({
        env: { NODE_ENV: 'production' },
        authorize: () => false,
        authorizeMetrics: (ctx) => ctx.get('authorization') === token.authorization,
      });
      try {
        expect((await t.get('/bitmapist/metrics')).status).to.equal(403);
        expect((await t.get('/bitmapist/metrics', token)).status).to.equal(200);
        expect((await t.get('/bitmapist/?format=json', token)).status).to.equal(403);
      } finally {
        await t.close();
      }
    });
  });
});
