-- schedule: on-commit invoices
-- output: customer_monthly_totals
-- mode: replace-partitions
-- partition: month(month)
-- description: Per customer and UTC month, the invoices it sent and received (count and amount). Serves `invoice-lake customer ID --months N`.
--
-- Incremental: only the months the new invoices (invoices_delta) fall in are
-- recomputed from the whole invoices table, and only those month partitions
-- of the output are replaced. An invoice a customer sent to itself counts on
-- both sides, as in `customer`'s fallback over invoices.
WITH touched AS (
  SELECT DISTINCT date_trunc('month', issue_date) AS month FROM invoices_delta
),
sides AS (
  SELECT issuer_id AS customer_id, date_trunc('month', issue_date) AS month, amount, 1 AS sent
    FROM invoices WHERE issue_date >= (SELECT min(month) FROM touched)
  UNION ALL
  SELECT receiver_id AS customer_id, date_trunc('month', issue_date) AS month, amount, 0 AS sent
    FROM invoices WHERE issue_date >= (SELECT min(month) FROM touched)
)
SELECT customer_id,
       month,
       count(*) FILTER (WHERE sent = 1)::BIGINT AS sent_count,
       coalesce(sum(amount) FILTER (WHERE sent = 1), 0)::DECIMAL(18, 2) AS sent_amount,
       count(*) FILTER (WHERE sent = 0)::BIGINT AS received_count,
       coalesce(sum(amount) FILTER (WHERE sent = 0), 0)::DECIMAL(18, 2) AS received_amount
  FROM sides
 WHERE month IN (SELECT month FROM touched)
 GROUP BY customer_id, month
