import pg from 'pg';

/**
 * Live invoice traffic for the demo: small transactions of new invoices
 * between existing customers, with an occasional correction (UPDATE) and
 * cancellation (DELETE) so `invoice_changes` fills too.
 */
export function startLiveTraffic(databaseUrl: string, invoicesPerSecond: number): { stop(): Promise<void>; inserted(): number } {
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on('error', () => undefined);
  let inserted = 0;
  let stopped = false;
  let ticks = 0;
  const perTick = Math.max(1, Math.round(invoicesPerSecond / 10));
  const running = (async () => {
    await client.connect();
    const { rows } = await client.query<{ n: string }>('SELECT count(*)::text AS n FROM customers');
    const customers = Number(rows[0]?.n ?? 0);
    if (customers < 2) return;
    while (!stopped) {
      ticks++;
      await client.query(
        `INSERT INTO invoices (issue_date, issuer_id, receiver_id, amount)
         SELECT clock_timestamp(), i, CASE WHEN r = i THEN r % $2 + 1 ELSE r END,
                round((exp(random() * 9) * (1 + random()))::numeric, 2) + 1
           FROM (SELECT 1 + floor(random() * least($2, 50))::bigint AS i,
                        1 + floor(random() * $2)::bigint AS r
                   FROM generate_series(1, $1)) pick`,
        [perTick, customers],
      );
      inserted += perTick;
      if (ticks % 50 === 0) {
        await client.query(`UPDATE invoices SET amount = amount + 0.01 WHERE invoice_id = (SELECT max(invoice_id) FROM invoices)`);
      }
      if (ticks % 120 === 0) {
        await client.query(`DELETE FROM invoices WHERE invoice_id = (SELECT max(invoice_id) FROM invoices)`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })().catch(() => undefined);
  return {
    inserted: () => inserted,
    async stop() {
      stopped = true;
      await running;
      await client.end().catch(() => undefined);
    },
  };
}
