/**
 * `populate`: fills the source tables with synthetic customers and invoices
 * through `COPY ... FROM STDIN` (text format), the fastest way into PostgreSQL.
 *
 * Transactions. Customers load in one COPY, i.e. one transaction: invoices
 * never reference a half-loaded population. Invoices load in chunks of
 * `chunkRows` (default 250,000), each chunk its own COPY statement and hence
 * its own transaction, because:
 *  - logical decoding hands a transaction to the slot consumer only at
 *    commit (and spills big ones to disk first); 10 million rows in one
 *    transaction would reach the lake as one enormous burst after a long
 *    silence, while chunks stream steadily;
 *  - progress is durable: a failure or Ctrl-C loses at most the chunk in
 *    flight, and a rerun appends after the largest invoice_id;
 *  - the per-statement cost (one round trip per chunk) is negligible.
 */
import type { Client } from 'pg';
import { LakeError, messageOf } from '../../errors/lake-error.ts';
import { advanceInvoiceIdSequence, ensureSourceSchema } from '../source-schema.ts';
import { copyLines, take } from './copy-stream.ts';
import { CUSTOMER_COPY_COLUMNS, customerCopyLine, INVOICE_COPY_COLUMNS, invoiceCopyLine } from './copy-text.ts';
import { loadCustomerIdPool } from './customer-ids.ts';
import { reserveInvoiceIds } from './invoice-id-range.ts';
import { generateCustomers } from './synthetic-customers.ts';
import { generateInvoices } from './synthetic-invoices.ts';

/** Options of {@link populate}. */
export interface PopulateOptions {
  /** Wanted population: customers are added only up to this many. */
  readonly customers: number;
  /** Invoices to append. */
  readonly invoices: number;
  /** Invoices fall in the last `months` calendar months before `now`. */
  readonly months: number;
  /** Seed of the generator: same seed and options, same data. */
  readonly seed: number;
  /** End of the invoices window (injected: the generator never reads the clock). */
  readonly now: Date;
  /** invoice_id of the first new invoice. Default: after the largest existing id. */
  readonly startInvoiceId?: bigint;
  /**
   * Rows loaded so far (new customers, then invoices) out of the run's total.
   * Called with (0, total) before any row is loaded, so a progress bar can be
   * created then: the total depends on how many customers already exist.
   */
  readonly onProgress?: (done: number, total: number) => void;
  /** Invoices per COPY statement (= per transaction). Default 250,000. */
  readonly chunkRows?: number;
}

/** What {@link populate} did. */
export interface PopulateResult {
  /** Tables and indexes created because they were missing. */
  readonly schemaCreated: string[];
  readonly customersInserted: number;
  /** Customers the new invoices were drawn from. */
  readonly customersUsed: number;
  readonly invoicesInserted: number;
  /** First and last new invoice_id, or null when no invoice was added. */
  readonly firstInvoiceId: bigint | null;
  readonly lastInvoiceId: bigint | null;
  readonly elapsedMs: number;
}

const DEFAULT_CHUNK_ROWS = 250_000;
const CUSTOMERS_COPY_SQL = `COPY customers (${CUSTOMER_COPY_COLUMNS.join(', ')}) FROM STDIN`;
const INVOICES_COPY_SQL = `COPY invoices (${INVOICE_COPY_COLUMNS.join(', ')}) FROM STDIN`;

function requireCount(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new LakeError('config', `populate: ${name} must be an integer >= ${min}, got ${value}`, {
      hint: `pass --${name} with a whole number of at least ${min}`,
    });
  }
}

function validate(options: PopulateOptions): void {
  requireCount('customers', options.customers, 0);
  requireCount('invoices', options.invoices, 0);
  requireCount('months', options.months, 1);
  requireCount('seed', options.seed, 0);
  if (options.chunkRows !== undefined) requireCount('chunk-rows', options.chunkRows, 1);
  if (Number.isNaN(options.now.getTime())) throw new LakeError('config', 'populate: now is not a valid date');
  if (options.invoices > 0 && options.customers < 2) {
    throw new LakeError('config', 'populate: invoices need at least 2 customers (an issuer and a different receiver)', {
      hint: 'pass --customers 2 or more',
    });
  }
}

/** Turns a database failure into a LakeError that says what was kept. */
function loadFailure(what: string, committedInvoices: number, error: unknown): LakeError {
  const code = (error as { code?: unknown } | null)?.code;
  const kept =
    committedInvoices > 0
      ? `${committedInvoices} invoices committed by this run are kept; rerun populate to append more`
      : `no ${what} from the failed statement were kept; fix the cause and rerun populate`;
  if (code === '42501') {
    return new LakeError('source-setup', `populate: permission denied while loading ${what}: ${messageOf(error)}`, {
      hint: 'grant INSERT on customers and invoices (and USAGE on invoices_invoice_id_seq) to this role',
      cause: error,
    });
  }
  // SQLSTATE class 08 (connection exception) and 57P (shutdown), or a socket error code (ECONNRESET...).
  const connectionLost =
    (typeof code === 'string' && (code.startsWith('08') || code.startsWith('57P') || code.startsWith('E'))) ||
    /connection terminated/i.test(messageOf(error));
  return new LakeError(connectionLost ? 'source-connection' : 'internal', `populate: loading ${what} failed: ${messageOf(error)}`, {
    hint: kept,
    cause: error,
  });
}

/**
 * Creates missing source tables, tops customers up to `customers`, then
 * appends `invoices` synthetic invoices after the largest invoice_id, with
 * COPY. `client` must be connected and not inside a transaction.
 */
export async function populate(client: Client, options: PopulateOptions): Promise<PopulateResult> {
  validate(options);
  const startedAt = performance.now();
  const { seed, now, months } = options;
  const { created } = await ensureSourceSchema(client).catch((error: unknown) => {
    if ((error as { code?: unknown } | null)?.code !== '42501') throw error;
    throw new LakeError('source-setup', `populate: cannot create the source tables: ${messageOf(error)}`, {
      hint: 'run populate as a role with CREATE on the schema, or create customers and invoices first',
      cause: error,
    });
  });

  const existing = await client.query<{ n: string; max_id: string }>(
    'SELECT count(*)::bigint AS n, coalesce(max(customer_id), 0) AS max_id FROM customers',
  );
  const existingCustomers = Number(existing.rows[0]?.n ?? 0);
  const customersToAdd = Math.max(0, options.customers - existingCustomers);
  const total = customersToAdd + options.invoices;
  let customersInserted = 0;
  options.onProgress?.(0, total);

  if (customersToAdd > 0) {
    const customers = generateCustomers({
      seed,
      now,
      months,
      count: options.customers,
      fromIndex: existingCustomers,
      firstCustomerId: BigInt(existing.rows[0]?.max_id ?? 0) + 1n,
    });
    const lines = (function* () {
      for (const customer of customers) yield customerCopyLine(customer);
    })();
    try {
      customersInserted = await copyLines(client, CUSTOMERS_COPY_SQL, lines, {
        onRows: (rows) => options.onProgress?.(rows, total),
      });
    } catch (error) {
      throw loadFailure('customers', 0, error);
    }
  }

  if (options.invoices === 0) {
    const elapsedMs = performance.now() - startedAt;
    options.onProgress?.(total, total);
    return {
      schemaCreated: created,
      customersInserted,
      customersUsed: 0,
      invoicesInserted: 0,
      firstInvoiceId: null,
      lastInvoiceId: null,
      elapsedMs,
    };
  }

  const pool = await loadCustomerIdPool(client, options.customers);
  if (pool.size < 2) {
    throw new LakeError('source-setup', `populate: only ${pool.size} customer(s) exist; invoices need at least 2`, {
      hint: 'check that the customers table is readable by this role',
    });
  }
  const range = await reserveInvoiceIds(client, options.invoices, options.startInvoiceId);
  const invoices = generateInvoices({ seed, now, months, count: options.invoices, customerCount: pool.size, startInvoiceId: range.first });
  const chunkRows = options.chunkRows ?? DEFAULT_CHUNK_ROWS;
  let loaded = 0;
  try {
    while (loaded < options.invoices) {
      const chunk = take(invoices, Math.min(chunkRows, options.invoices - loaded));
      const lines = (function* () {
        for (const invoice of chunk) yield invoiceCopyLine(invoice, pool.idAt);
      })();
      const base = customersToAdd + loaded;
      const rows = await copyLines(client, INVOICES_COPY_SQL, lines, { onRows: (n) => options.onProgress?.(base + n, total) });
      if (rows === 0) break; // the generator ran dry: never spin on empty chunks
      loaded += rows;
    }
  } catch (error) {
    throw loadFailure('invoices', loaded, error);
  } finally {
    // Also after a failed chunk: committed chunks hold explicit ids the identity must skip.
    await advanceInvoiceIdSequence(client).catch(() => undefined);
  }
  options.onProgress?.(total, total);
  return {
    schemaCreated: created,
    customersInserted,
    customersUsed: pool.size,
    invoicesInserted: loaded,
    firstInvoiceId: range.first,
    lastInvoiceId: range.first + BigInt(loaded) - 1n,
    elapsedMs: performance.now() - startedAt,
  };
}
