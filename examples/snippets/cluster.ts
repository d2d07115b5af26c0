import { Cluster } from 'ioredis';
import { Bitmapist } from 'koa-bitmapist';

const cluster = new Cluster([{ host: '10.0.0.1', port: 7000 }, { host: '10.0.0.2', port: 7000 }]);
const bm = new Bitmapist({ redis: cluster, layout: 'sharded', shardBits: 20 });
