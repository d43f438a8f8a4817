-- schedule: on-commit invoices
-- output: invoices_enriched
-- mode: append
-- partition: month(issue_date)
-- description: Each new invoice joined with both customers' profiles (JSON), their industry and country (CSV), and flags found in the receiver's free-text account notes.
--
-- Needs the sources customer_profiles, industries, countries and
-- customer_notes (see sources.yaml). Reads only invoices_delta, so each
-- invoice is enriched once, with the profile as it was at that moment.
-- Flags are 0/1 integers.
WITH notes AS (
  SELECT regexp_extract(path, 'customer-(\d+)\.txt$', 1)::BIGINT AS customer_id,
         (content ILIKE '%payment delayed%')::INTEGER AS payment_delayed,
         (content ILIKE '%disputed invoice%')::INTEGER AS disputed_invoice,
         regexp_matches(content, '\bVIP\b')::INTEGER AS vip
    FROM customer_notes
),
customers AS (
  SELECT p.customer_id, p.name, p.segment, p.credit_limit_usd, p.payment_terms_days,
         p.country, c.region, p.industry, ind.sector, ind.risk_tier
    FROM customer_profiles p
    LEFT JOIN countries c ON c.country = p.country
    LEFT JOIN industries ind ON ind.industry = p.industry
)
SELECT i.invoice_id,
       i.issue_date,
       i.amount,
       i.risk_score,
       i.issuer_id,
       issuer.name AS issuer_name,
       issuer.country AS issuer_country,
       issuer.region AS issuer_region,
       issuer.industry AS issuer_industry,
       issuer.sector AS issuer_sector,
       issuer.risk_tier AS issuer_risk_tier,
       i.receiver_id,
       receiver.name AS receiver_name,
       receiver.country AS receiver_country,
       receiver.region AS receiver_region,
       receiver.industry AS receiver_industry,
       receiver.segment AS receiver_segment,
       receiver.payment_terms_days::BIGINT AS receiver_payment_terms_days,
       (i.amount > receiver.credit_limit_usd)::INTEGER AS over_receiver_credit_limit,
       coalesce(n.payment_delayed, 0) AS receiver_payment_delayed,
       coalesce(n.disputed_invoice, 0) AS receiver_disputed_invoice,
       coalesce(n.vip, 0) AS receiver_vip
  FROM invoices_delta i
  LEFT JOIN customers issuer ON issuer.customer_id = i.issuer_id
  LEFT JOIN customers receiver ON receiver.customer_id = i.receiver_id
  LEFT JOIN notes n ON n.customer_id = i.receiver_id
