import { expect } from 'chai';
import { Dashboard, DASHBOARD_PAGES } from '../../src/dashboard/index.js';
import type { DashboardHost } from '../../src/dashboard/host.js';
import { BUSY_MESSAGE } from '../../src/dashboard/guard.js';
import { jsonAnswer } from '../../src/dashboard/shared/respond.js';

describe('dashboard: a burst of pages beyond those computed and waiting answers 503 at once', () => {
  it('computes at most `running` pages at once, queues `waiting` more in order, and answers 503 beyond', async () => {
    let running = 0;
    let most = 0;
    const releases: (() => void)[] = [];
    // A page that holds its turn until released (no Redis: the limit is the router's).
    const slow = {
      path: '/slow',
      handle: async () => {
        running += 1;
        most = Math.max(most, running);
        await new Promise<void>((resolve) => releases.push(resolve));
        running -= 1;
        return jsonAnswer({ ok: true });
      },
    };
    const dashboard = new Dashboard({} as DashboardHost, '/bitmapist', [slow], { running: 2, waiting: 3 });
    const route = dashboard.routes[0]!;
    const answers = Array.from({ length: 6 }, () => route.handle('format=json', 'allowed'));
    // The sixth is beyond 2 running + 3 waiting: answered at once, without running.
    const sixth = await answers[5]!;
    expect([sixth.status, sixth.body]).to.deep.equal([503, { error: BUSY_MESSAGE }]);
    // A refused request is answered 403 whatever the load.
    expect((await route.handle('format=json', 'refused')).status).to.equal(403);
    while (releases.length < 2) await new Promise((resolve) => setImmediate(resolve));
    expect(running).to.equal(2);
    // Released one at a time: the waiting ones run in turn, never more than two at once.
    for (let released = 0; released < 5; released++) {
      while (releases.length <= released) await new Promise((resolve) => setImmediate(resolve));
      releases[released]!();
    }
    const statuses = (await Promise.all(answers.slice(0, 5))).map((answer) => answer.status);
    expect(statuses).to.deep.equal([200, 200, 200, 200, 200]);
    expect(most).to.equal(2);
    // Once the burst is over, pages run again.
    const after = route.handle('format=json', 'allowed');
    while (releases.length < 6) await new Promise((resolve) => setImmediate(resolve));
    releases[5]!();
    expect((await after).status).to.equal(200);
    expect(DASHBOARD_PAGES.length).to.be.above(1);
  });
});
