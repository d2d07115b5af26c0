import Koa from 'koa';
import session from 'koa-session';
import { koaBitmapist } from 'koa-bitmapist/koa';

const app = new Koa();
app.keys = ['…'];
app.use(session({}, app));          // your session + passport middleware first
const bitmapist = koaBitmapist(app, {
  authorize: (ctx) => ctx.state.user?.isAdmin === true, // who may see the dashboard
});
// on shutdown: await bitmapist.close();
