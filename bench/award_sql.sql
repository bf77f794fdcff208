-- The award as one statement (bench/award_sql.py reads it: issue #18's third lever,
-- a prototype for measuring only).
-- $1 now (timestamptz), $2 tier names (text[], by rank), $3 multipliers (numeric[]),
-- $4 multipliers as the reason prints them (text[]), $5 commission thresholds
-- (numeric[]: silver, gold, platinum), $6 asset thresholds, $7 the envelope time (text),
-- $8 the source, $9 the topic.
WITH s AS (
    SELECT st.seq, st.trade_id, st.customer_id, st.commission_text,
           st.commission_text::numeric AS commission, st.settled_on,
           to_char(st.settled_on, 'YYYY-MM') AS month,
           to_char(st.settled_on - interval '11 months', 'YYYY-MM') AS oldest
    FROM award_stage st
    WHERE NOT EXISTS (
        SELECT 1 FROM (
            SELECT 1 FROM points_entry p WHERE p.business_key = 'trade:' || st.trade_id OFFSET 0
        ) known
    )
),
c AS (
    SELECT d.customer_id, d.first_seen, t.tier IS NULL AS is_new,
           coalesce(array_position($2::text[], t.tier) - 1, 0) AS rank0,
           coalesce(t.tier_since, d.first_seen) AS since0,
           coalesce(t.total_assets, 0) AS assets
    FROM (
        SELECT customer_id, (array_agg(settled_on ORDER BY seq))[1] AS first_seen
        FROM s GROUP BY customer_id
    ) d
    LEFT JOIN LATERAL (
        SELECT tier, tier_since, total_assets FROM customer_tier ct
        WHERE ct.customer_id = d.customer_id OFFSET 0
    ) t ON true
),
stored AS (
    SELECT k.customer_id, k.month, coalesce(m.total, 0) AS total
    FROM (SELECT DISTINCT customer_id, month, oldest FROM s) k
    LEFT JOIN LATERAL (
        SELECT sum(cm.commission) AS total FROM customer_month cm
        WHERE cm.customer_id = k.customer_id AND cm.month BETWEEN k.oldest AND k.month
    ) m ON true
),
running AS (  -- each month's running batch commission per customer, at every trade
    SELECT s.seq, s.month AS own, s.oldest, bm.month AS m,
           sum(CASE WHEN s.month = bm.month THEN s.commission ELSE 0 END)
               OVER (PARTITION BY s.customer_id, bm.month ORDER BY s.seq) AS cum
    FROM s CROSS JOIN (SELECT DISTINCT month FROM s) bm
),
in_window AS (
    SELECT seq, sum(cum) FILTER (WHERE m BETWEEN oldest AND own) AS batch
    FROM running GROUP BY seq
),
q AS (  -- the tier each trade qualifies the customer for, counting the trade itself
    SELECT s.*, c.rank0,
           greatest(
               CASE WHEN c.assets >= ($6::numeric[])[3] THEN 3
                    WHEN c.assets >= ($6::numeric[])[2] THEN 2
                    WHEN c.assets >= ($6::numeric[])[1] THEN 1 ELSE 0 END,
               CASE WHEN st.total + tr.batch >= ($5::numeric[])[3] THEN 3
                    WHEN st.total + tr.batch >= ($5::numeric[])[2] THEN 2
                    WHEN st.total + tr.batch >= ($5::numeric[])[1] THEN 1 ELSE 0 END
           ) AS qualified
    FROM s
    JOIN c USING (customer_id)
    JOIN stored st ON st.customer_id = s.customer_id AND st.month = s.month
    JOIN in_window tr ON tr.seq = s.seq
),
r AS (  -- the tier after each trade: upgrades only, from the next trade on
    SELECT q.*, greatest(rank0, max(qualified) OVER w) AS after
    FROM q WINDOW w AS (PARTITION BY customer_id ORDER BY seq)
),
a AS (
    SELECT r.*, coalesce(lag(after) OVER w, rank0) AS inforce
    FROM r WINDOW w AS (PARTITION BY customer_id ORDER BY seq)
),
p AS (
    SELECT a.*, round(commission * ($3::numeric[])[inforce + 1], 2) AS points FROM a
),
ledger AS (
    INSERT INTO points_entry (customer_id, points, kind, business_key, source_ref, reason,
                              actor, tier, commission, settled_on, created_at)
    SELECT customer_id, points, 'trade', 'trade:' || trade_id, trade_id,
           'commission ' || commission_text || ' x ' || ($4::text[])[inforce + 1]
               || ' (' || ($2::text[])[inforce + 1] || ')',
           'system', ($2::text[])[inforce + 1], commission, settled_on, $1::timestamptz
    FROM p ORDER BY seq
    RETURNING 1
),
months AS (
    INSERT INTO customer_month (customer_id, month, commission, points)
    SELECT customer_id, month, sum(commission), sum(points) FROM p
    GROUP BY customer_id, month ORDER BY customer_id, month
    ON CONFLICT (customer_id, month) DO UPDATE
    SET commission = customer_month.commission + EXCLUDED.commission,
        points = customer_month.points + EXCLUDED.points
),
changes AS (
    SELECT customer_id, seq, settled_on, inforce AS old_rank, after AS new_rank
    FROM a WHERE after > inforce
),
last_change AS (
    SELECT DISTINCT ON (customer_id) customer_id, new_rank, settled_on
    FROM changes ORDER BY customer_id, seq DESC
),
tiers AS (
    INSERT INTO customer_tier (customer_id, tier, tier_since, total_assets, updated_at)
    SELECT c.customer_id, ($2::text[])[coalesce(l.new_rank, c.rank0) + 1],
           coalesce(l.settled_on, c.since0), c.assets, $1::timestamptz
    FROM c LEFT JOIN last_change l USING (customer_id)
    WHERE c.is_new OR l.customer_id IS NOT NULL
    ORDER BY c.customer_id
    ON CONFLICT (customer_id) DO UPDATE
    SET tier = EXCLUDED.tier, tier_since = EXCLUDED.tier_since, updated_at = EXCLUDED.updated_at
),
history AS (
    INSERT INTO tier_history (customer_id, old_tier, new_tier, reason, changed_at, effective_on)
    SELECT customer_id, ($2::text[])[old_rank + 1], ($2::text[])[new_rank + 1], 'upgrade', $1::timestamptz,
           settled_on
    FROM changes ORDER BY seq
),
outbox AS (
    INSERT INTO outbox_event (event_id, topic, key, event_type, payload, created_at, attempts)
    SELECT id, $9::text, customer_id, 'TierChanged',
           json_build_object(
               'specversion', '1.0', 'id', id, 'type', 'TierChanged', 'source', $8::text,
               'time', $7::text, 'subject', customer_id, 'datacontenttype', 'application/json',
               'data', json_build_object(
                   'customer_id', customer_id,
                   'old_tier', ($2::text[])[old_rank + 1],
                   'new_tier', ($2::text[])[new_rank + 1],
                   'reason', 'upgrade',
                   'effective_on', settled_on,
                   'next_review', (date_trunc('month', settled_on) + interval '1 month')::date
               )
           )::text,
           $1::timestamptz, 0
    FROM (SELECT changes.*, gen_random_uuid()::text AS id FROM changes) u ORDER BY seq
)
SELECT count(*) FROM ledger
