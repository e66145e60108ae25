-- The outcome engine's narrow copy of every encounter: one text per encounter with the 27 values
-- it reads, separated by the unit separator (char 31), in the order of `FACT_FIELDS` in
-- crates/pmhc-store/src/outcomes.rs. Reading one column of ~200 bytes instead of 26 columns of an
-- ~800-byte row makes a report's full scan several times faster (docs/performance.md). Triggers
-- keep it in step with `encounters` inside the same transaction, whoever writes; existing rows are
-- copied here once. Empty text stands for NULL (booleans are '1', '0' or '').

CREATE TABLE encounter_facts (
    id    INTEGER PRIMARY KEY NOT NULL,
    facts TEXT NOT NULL
);

INSERT INTO encounter_facts (id, facts)
SELECT id,
        coalesce(source_system, '')
        || char(31) || coalesce(occurred_on, '')
        || char(31) || coalesce(date_precision, '')
        || char(31) || coalesce(agency, '')
        || char(31) || coalesce(precinct, '')
        || char(31) || coalesce(sector, '')
        || char(31) || coalesce(beat, '')
        || char(31) || coalesce(initial_call_type, '')
        || char(31) || coalesce(final_call_type, '')
        || char(31) || coalesce(call_source, '')
        || char(31) || coalesce(mh_recognised_at_dispatch, '')
        || char(31) || coalesce(mental_health_flag, '')
        || char(31) || coalesce(response_model, '')
        || char(31) || coalesce(cit_requested, '')
        || char(31) || coalesce(cit_arrived, '')
        || char(31) || CASE WHEN cit_arrived = 1 OR instr(officers, '"cit_certified":true') > 0 THEN '1' WHEN cit_arrived = 0 OR instr(officers, '"cit_certified":false') > 0 THEN '0' ELSE '' END
        || char(31) || coalesce(time_on_scene_minutes, '')
        || char(31) || coalesce(disposition, '')
        || char(31) || coalesce(arrested, '')
        || char(31) || coalesce(cited, '')
        || char(31) || coalesce(involuntary_hold, '')
        || char(31) || coalesce(referrals, '')
        || char(31) || coalesce(use_of_force, '')
        || char(31) || coalesce(subject_key, '')
        || char(31) || coalesce(age_band, '')
        || char(31) || coalesce(gender, '')
        || char(31) || coalesce(race_ethnicity, '')
FROM encounters;

CREATE TRIGGER encounter_facts_insert AFTER INSERT ON encounters BEGIN
    INSERT INTO encounter_facts (id, facts) VALUES (new.id,
        coalesce(new.source_system, '')
        || char(31) || coalesce(new.occurred_on, '')
        || char(31) || coalesce(new.date_precision, '')
        || char(31) || coalesce(new.agency, '')
        || char(31) || coalesce(new.precinct, '')
        || char(31) || coalesce(new.sector, '')
        || char(31) || coalesce(new.beat, '')
        || char(31) || coalesce(new.initial_call_type, '')
        || char(31) || coalesce(new.final_call_type, '')
        || char(31) || coalesce(new.call_source, '')
        || char(31) || coalesce(new.mh_recognised_at_dispatch, '')
        || char(31) || coalesce(new.mental_health_flag, '')
        || char(31) || coalesce(new.response_model, '')
        || char(31) || coalesce(new.cit_requested, '')
        || char(31) || coalesce(new.cit_arrived, '')
        || char(31) || CASE WHEN new.cit_arrived = 1 OR instr(new.officers, '"cit_certified":true') > 0 THEN '1' WHEN new.cit_arrived = 0 OR instr(new.officers, '"cit_certified":false') > 0 THEN '0' ELSE '' END
        || char(31) || coalesce(new.time_on_scene_minutes, '')
        || char(31) || coalesce(new.disposition, '')
        || char(31) || coalesce(new.arrested, '')
        || char(31) || coalesce(new.cited, '')
        || char(31) || coalesce(new.involuntary_hold, '')
        || char(31) || coalesce(new.referrals, '')
        || char(31) || coalesce(new.use_of_force, '')
        || char(31) || coalesce(new.subject_key, '')
        || char(31) || coalesce(new.age_band, '')
        || char(31) || coalesce(new.gender, '')
        || char(31) || coalesce(new.race_ethnicity, ''))
    ON CONFLICT (id) DO UPDATE SET facts = excluded.facts;
END;

CREATE TRIGGER encounter_facts_update AFTER UPDATE ON encounters BEGIN
    INSERT INTO encounter_facts (id, facts) VALUES (new.id,
        coalesce(new.source_system, '')
        || char(31) || coalesce(new.occurred_on, '')
        || char(31) || coalesce(new.date_precision, '')
        || char(31) || coalesce(new.agency, '')
        || char(31) || coalesce(new.precinct, '')
        || char(31) || coalesce(new.sector, '')
        || char(31) || coalesce(new.beat, '')
        || char(31) || coalesce(new.initial_call_type, '')
        || char(31) || coalesce(new.final_call_type, '')
        || char(31) || coalesce(new.call_source, '')
        || char(31) || coalesce(new.mh_recognised_at_dispatch, '')
        || char(31) || coalesce(new.mental_health_flag, '')
        || char(31) || coalesce(new.response_model, '')
        || char(31) || coalesce(new.cit_requested, '')
        || char(31) || coalesce(new.cit_arrived, '')
        || char(31) || CASE WHEN new.cit_arrived = 1 OR instr(new.officers, '"cit_certified":true') > 0 THEN '1' WHEN new.cit_arrived = 0 OR instr(new.officers, '"cit_certified":false') > 0 THEN '0' ELSE '' END
        || char(31) || coalesce(new.time_on_scene_minutes, '')
        || char(31) || coalesce(new.disposition, '')
        || char(31) || coalesce(new.arrested, '')
        || char(31) || coalesce(new.cited, '')
        || char(31) || coalesce(new.involuntary_hold, '')
        || char(31) || coalesce(new.referrals, '')
        || char(31) || coalesce(new.use_of_force, '')
        || char(31) || coalesce(new.subject_key, '')
        || char(31) || coalesce(new.age_band, '')
        || char(31) || coalesce(new.gender, '')
        || char(31) || coalesce(new.race_ethnicity, ''))
    ON CONFLICT (id) DO UPDATE SET facts = excluded.facts;
END;

CREATE TRIGGER encounter_facts_delete AFTER DELETE ON encounters BEGIN
    DELETE FROM encounter_facts WHERE id = old.id;
END;
