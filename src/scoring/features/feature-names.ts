/**
 * The ordered feature vector every risk model receives: input `[N, F]`
 * float32 with F = FEATURE_NAMES.length, columns in exactly this order.
 * The same code computes them for training and for serving
 * (feature-extractor.ts), so a model never sees a skewed feature.
 *
 * Time features use the invoice's own `issue_date` (UTC), so replaying the
 * same invoices yields the same features whenever they are processed.
 *
 * "Before this one" means observed earlier in the stream, excluding this
 * invoice itself. Windows are whole UTC buckets (see feature-state.ts): the
 * 24 h window of an invoice in hour H is hours H−23 … H (an invoice 23 h
 * earlier counts, 24 h or more earlier does not); the 30 d window of an
 * invoice on day D is days D−29 … D. Invoices observed earlier but dated in
 * a later bucket are not counted.
 */
export const FEATURE_NAMES = [
  /** Invoices the issuer sent in the 24 h before this one (hourly buckets). */
  'issuer_count_24h',
  /** USD the issuer invoiced in the 24 h before this one. */
  'issuer_amount_24h',
  /** Invoices the issuer sent in the 30 days before this one (daily buckets). */
  'issuer_count_30d',
  /** USD the issuer invoiced in the 30 days before this one. */
  'issuer_amount_30d',
  /** Invoices the receiver received in the 30 days before this one. */
  'receiver_count_30d',
  /** 1 when this issuer already invoiced this receiver, else 0. */
  'pair_seen_before',
  /**
   * (amount − issuer's running mean) / running standard deviation; 0 with fewer than 2 prior invoices.
   * Sample standard deviation (n − 1); capped at ±50, and ±50 when all prior amounts were equal (std 0) but this one differs.
   */
  'amount_zscore',
  /** amount / issuer's running mean; 1 without history (or when that mean is not positive). */
  'amount_to_issuer_mean',
  /** Hour of day of issue_date, UTC, 0–23. */
  'hour_of_day',
  /** Day of week of issue_date, UTC, 0 = Monday … 6 = Sunday. */
  'day_of_week',
  /** 1 when the amount is a whole multiple of 100 USD, else 0. */
  'is_round_amount',
  /** Days since the issuer's first invoice; 0 for the first. Fractional days, never negative. */
  'days_since_issuer_first',
  /** 1 when issuer and receiver are the same customer. */
  'is_self_invoice',
  /** log10(1 + amount in USD); for a negative amount −log10(1 − amount) (sign-preserving). */
  'log_amount',
  /** Invoices the issuer sent before this one, all time. */
  'issuer_prior_count',
] as const;

/** One feature column name. */
export type FeatureName = (typeof FEATURE_NAMES)[number];
/** F: the number of columns of every feature row. */
export const FEATURE_COUNT = FEATURE_NAMES.length;

/** One invoice as the feature extractor sees it (exact values from the stream). */
export interface ScoringInvoice {
  invoiceId: bigint;
  /** Microseconds since the epoch (UTC). */
  issueDate: bigint;
  issuerId: bigint;
  receiverId: bigint;
  /** Unscaled amount at scale 2 (cents). */
  amountCents: bigint;
}
