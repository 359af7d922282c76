-- Hourly air temperature per region: the weather the forecaster regresses on. The integration point for a
-- real weather feed (observations for past hours, a provider's forecast for coming ones); while the
-- simulator is the only source, the forecast job fills it from the simulated series (source 'simulated')
-- for the hours it needs, and never overwrites rows of another source.
CREATE TABLE "weather_observations" (
	"region" text NOT NULL,
	"hour_start" timestamp with time zone NOT NULL,
	"temperature_c" numeric(4, 1) NOT NULL,
	"source" text NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "weather_observations_pkey" PRIMARY KEY("region","hour_start"),
	CONSTRAINT "weather_observations_hour_check" CHECK (extract(epoch from "hour_start") % 3600 = 0)
);
--> statement-breakpoint
-- Half-hourly consumption forecasts per region and segment. One row per period and lead time: a daily run
-- issued on day D writes D+1 … D+7 with horizon_days 1 … 7, so each period keeps its day-ahead (1) and
-- week-ahead (7) forecast side by side; a rerun on the same day replaces its own rows.
CREATE TABLE "forecasts_region_halfhour" (
	"region" text NOT NULL,
	"segment" "segment" NOT NULL,
	"period_start" timestamp with time zone NOT NULL,
	"horizon_days" integer NOT NULL,
	"kwh" numeric(18, 4) NOT NULL,
	"model_version" text NOT NULL,
	"issue_day" date NOT NULL,
	"issued_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "forecasts_region_halfhour_pkey" PRIMARY KEY("region","segment","period_start","horizon_days"),
	CONSTRAINT "forecasts_region_halfhour_horizon_check" CHECK ("horizon_days" between 1 and 14),
	CONSTRAINT "forecasts_region_halfhour_kwh_check" CHECK ("kwh" >= 0)
);
--> statement-breakpoint
CREATE INDEX "forecasts_region_halfhour_period_idx" ON "forecasts_region_halfhour" USING btree ("period_start");
--> statement-breakpoint
-- Daily usage forecast per meter and local day: the latest issue wins (horizon_days = day - issue_day,
-- 0 for the issue day itself), so the customer's month has a forecast for every day still to come.
CREATE TABLE "forecasts_meter_day" (
	"meter_id" text NOT NULL,
	"day" date NOT NULL,
	"kwh" numeric(18, 4) NOT NULL,
	"horizon_days" integer NOT NULL,
	"model_version" text NOT NULL,
	"issue_day" date NOT NULL,
	"issued_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "forecasts_meter_day_pkey" PRIMARY KEY("meter_id","day"),
	CONSTRAINT "forecasts_meter_day_horizon_check" CHECK ("horizon_days" between 0 and 62),
	CONSTRAINT "forecasts_meter_day_kwh_check" CHECK ("kwh" >= 0)
);
--> statement-breakpoint
-- The portal only reads forecasts and weather; the worker's forecast job writes them.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON weather_observations, forecasts_region_halfhour, forecasts_meter_day FROM meterops_web;
