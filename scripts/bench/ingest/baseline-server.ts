/**
 * The webhook baseline, run as a child process: a bare Express app whose one route reads the raw
 * body and INSERTs it, answering 202. No verification, no encryption, no queue: the floor that
 * Tideline's ingest path is compared with. Env: DATABASE_URL, PORT.
 */
import express from 'express';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const app = express();
app.disable('x-powered-by');
app.get('/health', (_req, res) => {
  res.status(200).json({ status: 'ok' });
});
// The same path as Tideline's, so both get identical request lines.
app.post('/api/v1/webhooks/:provider/:sourceId', express.raw({ type: () => true, limit: '1mb' }), (req, res) => {
  pool.query('insert into bench_baseline (body) values ($1)', [req.body]).then(
    () => res.status(202).json({ status: 'accepted' }),
    (err: unknown) => res.status(500).json({ error: String(err) }),
  );
});
const server = app.listen(Number(process.env.PORT), '127.0.0.1');
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void pool.end().finally(() => process.exit(0));
});
