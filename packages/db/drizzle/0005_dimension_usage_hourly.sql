CREATE TABLE "dimension_usage_hourly" (
	"hour_start" timestamp with time zone NOT NULL,
	"dimension" "usage_dimension" NOT NULL,
	"key" text NOT NULL,
	"kwh" numeric(18, 4) DEFAULT '0' NOT NULL,
	"expected_intervals" integer DEFAULT 0 NOT NULL,
	"actual_intervals" integer DEFAULT 0 NOT NULL,
	"estimated_intervals" integer DEFAULT 0 NOT NULL,
	"edited_intervals" integer DEFAULT 0 NOT NULL,
	"status" "aggregate_status" DEFAULT 'provisional' NOT NULL,
	"computed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "dimension_usage_hourly_pkey" PRIMARY KEY("hour_start","dimension","key")
);
--> statement-breakpoint
-- Hours already aggregated per meter, summed per key. Expected counts every active meter of the key, as
-- the speed layer does for the rows it creates; the batch layer refines them when it recomputes a day.
INSERT INTO "dimension_usage_hourly"
  ("hour_start", "dimension", "key", "kwh", "expected_intervals", "actual_intervals", "estimated_intervals",
   "edited_intervals", "status", "computed_at")
SELECT h.hour_start, d.dimension, d.key, sum(h.kwh), coalesce(min(e.expected), 0), sum(h.actual), sum(h.estimated),
       sum(h.edited), CASE WHEN bool_and(h.final) THEN 'final' ELSE 'provisional' END::aggregate_status, max(h.computed_at)
FROM (
  SELECT u.hour_start, m.region, m.segment::text AS segment, m.tariff_id, sum(u.kwh) AS kwh,
         sum(u.actual_intervals) AS actual, sum(u.estimated_intervals) AS estimated, sum(u.edited_intervals) AS edited,
         bool_and(u.status = 'final') AS final, max(u.computed_at) AS computed_at
  FROM "meter_usage_hourly" u JOIN "meters" m ON m.id = u.meter_id
  GROUP BY 1, 2, 3, 4
) h
CROSS JOIN LATERAL (VALUES ('region'::usage_dimension, h.region), ('segment', h.segment), ('tariff', h.tariff_id)) AS d(dimension, key)
LEFT JOIN (
  SELECT k.dimension, k.key, sum(60 / m.interval_minutes)::int AS expected
  FROM "meters" m
  CROSS JOIN LATERAL (VALUES ('region'::usage_dimension, m.region), ('segment', m.segment::text), ('tariff', m.tariff_id)) AS k(dimension, key)
  WHERE m.status = 'active'
  GROUP BY 1, 2
) e ON e.dimension = d.dimension AND e.key = d.key
GROUP BY 1, 2, 3;
