const server = app.listen(3000);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    server.close();                 // no new requests; the ones in flight finish
    server.closeIdleConnections();
    bitmapist.close().finally(() => process.exit(0)); // writes the queued marks (up to closeTimeout)
  });
}
