"""The outcome report's aggregates in DuckDB, for the comparison in docs/performance.md.

Usage: python report_duckdb.py CANONICAL.csv RUNS B_FROM B_TO C_FROM C_TO
Prints one JSON object: load and prepare times, the median of RUNS runs of the aggregate queries,
and headline numbers so the benchmark can check both tools computed the same thing.

The same work as `OutcomeIndex::report` with every breakdown and the monthly series: period
totals of every measure, the nine breakdowns, the monthly series, the median time on scene, and
the person-level measures (repeat encounters, frequent arrests) with window functions.
"""
import json, statistics, sys, time

import duckdb

csv, runs = sys.argv[1], int(sys.argv[2])
bf, bt, cf, ct = sys.argv[3:7]
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
con.execute("SET threads = 2")

t = time.perf_counter()
con.execute("CREATE TABLE e AS SELECT * FROM read_csv(?, header = true, all_varchar = true)", [csv])
load = time.perf_counter() - t

MH_TYPES = "('PERSON IN CRISIS','SUICIDE','SUICIDE-RELATED','OVERDOSE','PERSON IN BEHAVIORAL/EMOTIONAL CRISIS','CRISIS COMPLAINT - GENERAL','MENTAL HEALTH')"
t = time.perf_counter()
con.execute(f"""
CREATE TABLE f AS SELECT
  CAST(substr(occurred, 1, 10) AS DATE) AS day,
  (mental_health_flag = 'true' OR mh_recognised_at_dispatch = 'true'
    OR upper(trim(initial_call_type)) IN {MH_TYPES} OR upper(trim(final_call_type)) IN {MH_TYPES}
    OR call_source = '988_transfer' OR response_model IN ('co_responder','mobile_crisis','case_management')) AS mh,
  agency, precinct, sector, beat, response_model, race_ethnicity, gender, age_band,
  CASE WHEN cit_arrived = 'true' OR officers LIKE '%"cit_certified":true%' THEN 'yes'
       WHEN cit_arrived = 'false' OR officers LIKE '%"cit_certified":false%' THEN 'no' ELSE 'unknown' END AS cit,
  subject_key, CAST(time_on_scene_minutes AS INTEGER) AS scene,
  mh_recognised_at_dispatch IS NOT NULL AS d0, mh_recognised_at_dispatch = 'true' AS n0,
  cit_requested = 'true' AND cit_arrived IS NOT NULL AS d1, cit_requested = 'true' AND cit_arrived = 'true' AS n1,
  involuntary_hold IS NOT NULL AS d2, involuntary_hold = 'true' AS n2,
  arrested IS NOT NULL AS d3,
  arrested = 'false' AND disposition NOT IN ('arrest','involuntary_hold') AND coalesce(referrals, '') NOT LIKE '%emergency_department%' AS n3,
  disposition <> 'unknown' OR referrals IS NOT NULL AS d4,
  disposition IN ('referral','voluntary_transport') OR referrals IS NOT NULL AS n4,
  referrals IS NOT NULL AND regexp_matches(referrals, '"result":"(made|accepted|connected|declined|turned_away_[a-z_]+)"') AS d5,
  referrals IS NOT NULL AND regexp_matches(referrals, '"result":"(accepted|connected)"') AS n5,
  arrested IS NOT NULL AS d6, arrested = 'true' AS n6,
  cited IS NOT NULL AS d7, cited = 'true' AS n7,
  disposition IN ('arrest','arrest_diverted') AS d8, disposition = 'arrest_diverted' AS n8,
  use_of_force <> 'unknown' AS d9, use_of_force IN ('level_1','level_2','level_3') AS n9,
  use_of_force = 'restraint_only' AS n10, use_of_force = 'level_1' AS n11,
  use_of_force = 'level_2' AS n12, use_of_force = 'level_3' AS n13
FROM e""")
prepare = time.perf_counter() - t

PERIOD = f"CASE WHEN day BETWEEN DATE '{bf}' AND DATE '{bt}' THEN 'b' WHEN day BETWEEN DATE '{cf}' AND DATE '{ct}' THEN 'c' END"
SUMS = ", ".join(f"count(*) FILTER (WHERE mh AND d{i}) AS d{i}, count(*) FILTER (WHERE mh AND d{i} AND n{i}) AS n{i}" for i in range(9)) + ", " + \
    ", ".join(f"count(*) FILTER (WHERE mh AND d9 AND n{i}) AS n{i}" for i in range(9, 14)) + ", count(*) FILTER (WHERE mh AND d9) AS d9"
DIMS = ["agency", "precinct", "sector", "beat", "response_model", "cit", "race_ethnicity", "gender", "age_band"]
SETS = ", ".join(f"(p, {d})" for d in DIMS)

QUERIES = {
    "periods": f"SELECT {PERIOD} AS p, count(*) AS all_n, count(*) FILTER (WHERE mh) AS mh_n, {SUMS} FROM f WHERE {PERIOD} IS NOT NULL GROUP BY p ORDER BY p",
    "breakdowns": f"SELECT p, {', '.join(DIMS)}, count(*) AS n, {SUMS} FROM (SELECT *, {PERIOD} AS p FROM f WHERE mh) WHERE p IS NOT NULL GROUP BY GROUPING SETS ({SETS})",
    "monthly": f"SELECT date_trunc('month', day) AS m, count(*) AS n, {SUMS} FROM f WHERE mh AND day BETWEEN DATE '{min(bf, cf)}' AND DATE '{max(bt, ct)}' GROUP BY m ORDER BY m",
    "median": f"SELECT p, median(scene) FROM (SELECT {PERIOD} AS p, scene FROM f WHERE mh AND scene IS NOT NULL) WHERE p IS NOT NULL GROUP BY p",
    "repeat": f"""SELECT p, count(DISTINCT subject_key) AS people, count(DISTINCT subject_key) FILTER (WHERE gap <= 90) AS repeaters
        FROM (SELECT p, subject_key, day - lag(day) OVER (PARTITION BY p, subject_key ORDER BY day) AS gap
              FROM (SELECT {PERIOD} AS p, subject_key, day FROM f WHERE mh AND subject_key IS NOT NULL) WHERE p IS NOT NULL)
        GROUP BY p ORDER BY p""",
    "frequent_arrests": f"""SELECT p, count(DISTINCT subject_key) FILTER (WHERE gap <= 365) FROM
        (SELECT p, subject_key, day - lag(day, 2) OVER (PARTITION BY p, subject_key ORDER BY day) AS gap
         FROM (SELECT {PERIOD} AS p, subject_key, day FROM f WHERE mh AND n6 AND subject_key IS NOT NULL) WHERE p IS NOT NULL)
        GROUP BY p ORDER BY p""",
}

times, results = [], {}
for _ in range(runs):
    t = time.perf_counter()
    for name, sql in QUERIES.items():
        results[name] = con.execute(sql).fetchall()
    times.append(time.perf_counter() - t)

periods = {row[0]: row for row in results["periods"]}
repeat = {row[0]: row for row in results["repeat"]}
print(json.dumps({
    "rows": con.execute("SELECT count(*) FROM e").fetchone()[0],
    "load_s": load,
    "prepare_s": prepare,
    "report_s": statistics.median(times),
    "report_runs_s": times,
    "baseline": {"all": periods["b"][1], "mh": periods["b"][2], "arrest": [periods["b"][16], periods["b"][15]],
                 "repeat": [repeat["b"][2], repeat["b"][1]]},
    "comparison": {"all": periods["c"][1], "mh": periods["c"][2], "arrest": [periods["c"][16], periods["c"][15]],
                   "repeat": [repeat["c"][2], repeat["c"][1]]},
    "duckdb": duckdb.__version__,
}))
