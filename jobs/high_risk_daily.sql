-- schedule: every 10m
-- output: high_risk_daily
-- mode: replace
-- partition: month(day)
-- description: Per UTC issue day and model: invoices scored, risk alerts raised and their amount, and the score distribution (quantiles and four buckets).
--
-- A full recomputation each run: the result is one row per day and model,
-- and a score or alert committed late still lands on its invoice's day.
WITH alerts AS (
  SELECT invoice_id, model, amount FROM risk_alerts
)
SELECT date_trunc('day', s.issue_date) AS day,
       s.model,
       count(*)::BIGINT AS scored,
       count(*) FILTER (WHERE s.score IS NULL)::BIGINT AS failed,
       count(a.invoice_id)::BIGINT AS alerts,
       coalesce(sum(a.amount), 0)::DECIMAL(18, 2) AS alert_amount,
       avg(s.score) AS mean_score,
       quantile_cont(s.score, 0.5) AS p50_score,
       quantile_cont(s.score, 0.9) AS p90_score,
       quantile_cont(s.score, 0.99) AS p99_score,
       max(s.score) AS max_score,
       count(*) FILTER (WHERE s.score < 0.1)::BIGINT AS scores_below_0_1,
       count(*) FILTER (WHERE s.score >= 0.1 AND s.score < 0.5)::BIGINT AS scores_0_1_to_0_5,
       count(*) FILTER (WHERE s.score >= 0.5 AND s.score < 0.9)::BIGINT AS scores_0_5_to_0_9,
       count(*) FILTER (WHERE s.score >= 0.9)::BIGINT AS scores_0_9_and_above
  FROM risk_scores s
  LEFT JOIN alerts a ON a.invoice_id = s.invoice_id AND a.model = s.model
 WHERE s.role = 'active'
 GROUP BY 1, 2
