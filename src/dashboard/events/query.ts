import { formatParam, namePrefix, nowParam, systemParam, type Query } from '../shared/query.js';

/** The events page's parameters, checked. */
export interface EventsQuery {
  format: 'html' | 'json';
  /** Only events whose name starts with this ('' for all). */
  prefix: string;
  system?: string;
  now?: Date;
}

/** Checks the events page's query; throws `BitmapistArgumentError` naming the bad parameter. */
export function parseEventsQuery(query: Query): EventsQuery {
  const prefix = namePrefix(query, 'prefix');
  const { now } = nowParam(query);
  return { format: formatParam(query, ['html', 'json'] as const), prefix, system: systemParam(query), now };
}
