//! BGB §§187, 188 period arithmetic: examples, properties and the retention-cases oracle.

use chrono::{Datelike, NaiveDate};
use egov_core::period::{
    add_duration, end_of, next_day, period_end, period_end_explained, IsoDuration, PeriodKind,
    PeriodRule, Rounding,
};
use egov_core::Error;
use proptest::prelude::*;
use serde_json::Value;

use crate::common;

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn dur(s: &str) -> IsoDuration {
    s.parse().unwrap()
}

fn rule(duration: &str, rounding: Rounding, start_day_counts: bool) -> PeriodRule {
    PeriodRule {
        duration: dur(duration),
        rounding,
        start_day_counts,
    }
}

fn end(trigger: &str, duration: &str, rounding: Rounding, start_day_counts: bool) -> String {
    period_end(date(trigger), &rule(duration, rounding, start_day_counts))
        .unwrap()
        .to_string()
}

// ---------------------------------------------------------------------------------------
// Examples
// ---------------------------------------------------------------------------------------

#[test]
fn add_duration_clamps_to_month_end() {
    let cases = [
        ("2020-02-29", "P1Y", "2021-02-28"),
        ("2020-02-29", "P4Y", "2024-02-29"),
        ("2000-02-29", "P100Y", "2100-02-28"),
        ("2023-01-31", "P1M", "2023-02-28"),
        ("2024-01-31", "P1M", "2024-02-29"),
        ("2024-03-31", "P1M", "2024-04-30"),
        ("2024-08-31", "P6M", "2025-02-28"),
        ("2024-01-31", "P30D", "2024-03-01"),
        ("2024-02-28", "P3D", "2024-03-02"),
        ("2024-03-10", "P2W", "2024-03-24"),
        // Years and months first (with clamping), then days.
        ("2024-01-31", "P1M1D", "2024-03-01"),
        ("2023-12-31", "P1Y2M1W1D", "2025-03-08"),
        ("2024-03-10", "P0D", "2024-03-10"),
    ];
    for (from, d, want) in cases {
        assert_eq!(
            add_duration(date(from), dur(d)).unwrap().to_string(),
            want,
            "{from} + {d}"
        );
    }
}

#[test]
fn add_duration_out_of_range_is_an_error() {
    let err = add_duration(date("2024-01-01"), IsoDuration::from_years(u32::MAX)).unwrap_err();
    assert!(matches!(err, Error::DateOutOfRange(_)), "{err:?}");
    let err = add_duration(date("2024-01-01"), IsoDuration::from_years(300_000)).unwrap_err();
    assert!(matches!(err, Error::DateOutOfRange(_)), "{err:?}");
    let huge = IsoDuration {
        weeks: u32::MAX,
        days: u32::MAX,
        ..IsoDuration::ZERO
    };
    assert!(matches!(
        add_duration(date("2024-01-01"), huge),
        Err(Error::DateOutOfRange(_))
    ));
    assert!(matches!(
        next_day(NaiveDate::MAX),
        Err(Error::DateOutOfRange(_))
    ));
    assert_eq!(next_day(date("2024-02-28")).unwrap(), date("2024-02-29"));
    assert_eq!(next_day(date("2024-12-31")).unwrap(), date("2025-01-01"));
}

#[test]
fn end_of_month_quarter_year() {
    let cases = [
        ("2024-02-10", PeriodKind::Month, "2024-02-29"),
        ("2023-02-10", PeriodKind::Month, "2023-02-28"),
        ("2100-02-01", PeriodKind::Month, "2100-02-28"),
        ("2000-02-01", PeriodKind::Month, "2000-02-29"),
        ("2024-04-30", PeriodKind::Month, "2024-04-30"),
        ("2024-12-01", PeriodKind::Month, "2024-12-31"),
        ("2024-01-01", PeriodKind::Quarter, "2024-03-31"),
        ("2024-05-15", PeriodKind::Quarter, "2024-06-30"),
        ("2024-09-30", PeriodKind::Quarter, "2024-09-30"),
        ("2024-10-01", PeriodKind::Quarter, "2024-12-31"),
        ("2024-01-01", PeriodKind::Year, "2024-12-31"),
        ("2024-12-31", PeriodKind::Year, "2024-12-31"),
    ];
    for (d, kind, want) in cases {
        assert_eq!(end_of(date(d), kind).to_string(), want, "{d} {kind:?}");
    }
    assert_eq!(end_of(NaiveDate::MAX, PeriodKind::Year), NaiveDate::MAX);
    assert_eq!(end_of(NaiveDate::MIN, PeriodKind::Year).month(), 12);
}

#[test]
fn period_end_examples() {
    use Rounding::*;
    // §147 Abs. 4 AO: from the end of the calendar year.
    assert_eq!(end("2020-05-15", "P10Y", EndOfYear, false), "2030-12-31");
    assert_eq!(end("2020-01-01", "P6Y", EndOfYear, false), "2026-12-31");
    assert_eq!(end("2021-12-31", "P10Y", EndOfYear, false), "2031-12-31");
    assert_eq!(end("2020-05-15", "P6M", EndOfYear, false), "2021-06-30");
    assert_eq!(end("2020-05-15", "P30D", EndOfYear, false), "2021-01-30");
    // The start-day convention does not change a year-end start.
    assert_eq!(end("2020-05-15", "P10Y", EndOfYear, true), "2030-12-31");
    assert_eq!(end("2020-05-15", "P6M", EndOfYear, true), "2021-06-30");
    assert_eq!(end("2020-05-15", "P30D", EndOfYear, true), "2021-01-30");
    // §187 Abs. 1, §188 Abs. 2, 3 BGB.
    assert_eq!(end("2024-08-31", "P6M", None, false), "2025-02-28");
    assert_eq!(end("2023-08-31", "P6M", None, false), "2024-02-29");
    assert_eq!(end("2024-02-28", "P3D", None, false), "2024-03-02");
    assert_eq!(end("2024-03-10", "P0D", None, false), "2024-03-10");
    assert_eq!(end("2024-03-10", "P1W", None, false), "2024-03-17");
    // DIN 66398 deletion cycles.
    assert_eq!(end("2024-07-15", "P6M", EndOfMonth, false), "2025-01-31");
    assert_eq!(end("2024-07-15", "P6M", EndOfQuarter, false), "2025-03-31");
    assert_eq!(end("2024-07-31", "P0D", EndOfMonth, false), "2024-07-31");
    // §187 Abs. 2 BGB: the start day counts (ages).
    assert_eq!(end("2010-03-15", "P28Y", None, true), "2038-03-14");
    assert_eq!(end("2012-02-29", "P29Y", None, true), "2041-02-28"); // §188 Abs. 3
    assert_eq!(end("2012-02-29", "P28Y", None, true), "2040-02-28");
    assert_eq!(end("2024-03-31", "P1M", None, true), "2024-04-30"); // 31 Apr missing
    assert_eq!(end("2024-03-01", "P1M", None, true), "2024-03-31");
    assert_eq!(end("2024-03-10", "P1D", None, true), "2024-03-10");
    assert_eq!(end("2024-03-10", "P1W", None, true), "2024-03-16");
    assert_eq!(end("2024-03-10", "P0D", None, true), "2024-03-09");
    assert_eq!(end("2024-03-15", "P1M10D", None, true), "2024-04-24");
    assert_eq!(end("2024-07-15", "P6M", EndOfQuarter, true), "2025-03-31");
}

#[test]
fn period_end_explained_matches_and_cites_norms() {
    let r = rule("P10Y", Rounding::EndOfYear, false);
    let (end, steps) = period_end_explained(date("2020-05-15"), &r).unwrap();
    assert_eq!(end, period_end(date("2020-05-15"), &r).unwrap());
    let text = steps.join("\n");
    assert!(text.contains("2020-05-15"), "{text}");
    assert!(text.contains("§147 Abs. 4 AO"), "{text}");
    assert!(text.contains("period begins 2020-12-31"), "{text}");
    assert!(text.contains("+P10Y → 2030-12-31"), "{text}");
    assert!(text.contains("2031-01-01"), "{text}");

    let r = rule("P29Y", Rounding::None, true);
    let (end, steps) = period_end_explained(date("2012-02-29"), &r).unwrap();
    assert_eq!(end, date("2041-02-28"));
    let text = steps.join("\n");
    assert!(text.contains("§187 Abs. 2 BGB"), "{text}");
    assert!(text.contains("2041-02-29 does not exist"), "{text}");
    assert!(text.contains("§188 Abs. 3 BGB"), "{text}");

    let r = rule("P6M", Rounding::EndOfQuarter, false);
    let (end, steps) = period_end_explained(date("2024-07-15"), &r).unwrap();
    assert_eq!(end, date("2025-03-31"));
    let text = steps.join("\n");
    assert!(text.contains("§187 Abs. 1 BGB"), "{text}");
    assert!(text.contains("+P6M → 2025-01-15"), "{text}");
    assert!(text.contains("DIN 66398"), "{text}");
}

#[test]
fn duration_parse_and_display() {
    let cases = [
        ("P10Y", IsoDuration::from_years(10), "P10Y"),
        ("P6M", IsoDuration::from_months(6), "P6M"),
        ("P30D", IsoDuration::from_days(30), "P30D"),
        ("P2W", IsoDuration::from_weeks(2), "P2W"),
        (
            "P1Y6M",
            IsoDuration {
                years: 1,
                months: 6,
                ..IsoDuration::ZERO
            },
            "P1Y6M",
        ),
        (
            "P1Y2M3W4D",
            IsoDuration {
                years: 1,
                months: 2,
                weeks: 3,
                days: 4,
            },
            "P1Y2M3W4D",
        ),
        ("P0D", IsoDuration::ZERO, "P0D"),
        ("P0Y", IsoDuration::ZERO, "P0D"),
        ("P0Y6M", IsoDuration::from_months(6), "P6M"),
        ("P010Y", IsoDuration::from_years(10), "P10Y"),
        (
            "P4294967295D",
            IsoDuration::from_days(u32::MAX),
            "P4294967295D",
        ),
    ];
    for (text, want, canonical) in cases {
        let got: IsoDuration = text.parse().unwrap();
        assert_eq!(got, want, "{text}");
        assert_eq!(got.to_string(), canonical, "{text}");
    }
    assert_eq!(IsoDuration::default(), IsoDuration::ZERO);
    assert!(IsoDuration::ZERO.is_zero());
}

#[test]
fn duration_rejects() {
    let cases = [
        ("", "empty"),
        ("P", "no components"),
        ("10Y", "must start with 'P'"),
        ("p10y", "must start with 'P'"),
        (" P1Y", "must start with 'P'"),
        ("-P1Y", "negative"),
        ("P-1Y", "negative"),
        ("P+1Y", "sign"),
        ("PT1H", "time components"),
        ("P1DT12H", "time components"),
        ("P1H", "time designator"),
        ("P1.5Y", "fraction"),
        ("P1,5Y", "fraction"),
        ("P10", "no designator"),
        ("PY", "missing number"),
        ("P1Y1Y", "twice"),
        ("P1D1Y", "out of order"),
        ("P1M1Y", "out of order"),
        ("P1X", "unexpected character"),
        ("P1y", "unexpected character"),
        ("P1Y ", "unexpected character"),
        ("P4294967296D", "too large"),
        ("P99999999999999999999Y", "too large"),
    ];
    for (text, reason_part) in cases {
        match text.parse::<IsoDuration>() {
            Err(Error::Duration { input, reason }) => {
                assert_eq!(input, text);
                assert!(reason.contains(reason_part), "{text:?}: reason {reason:?}");
                let shown = Error::Duration { input, reason }.to_string();
                assert!(shown.contains("invalid ISO 8601 duration"), "{shown}");
            }
            other => panic!("{text:?} should be rejected, got {other:?}"),
        }
    }
}

#[test]
fn serde_forms() {
    let d = IsoDuration {
        years: 1,
        months: 6,
        ..IsoDuration::ZERO
    };
    assert_eq!(serde_json::to_string(&d).unwrap(), "\"P1Y6M\"");
    assert_eq!(serde_json::from_str::<IsoDuration>("\"P1Y6M\"").unwrap(), d);
    assert!(serde_json::from_str::<IsoDuration>("\"P1.5Y\"").is_err());
    assert!(serde_json::from_str::<IsoDuration>("12").is_err());

    for (r, s) in [
        (Rounding::None, "none"),
        (Rounding::EndOfMonth, "end_of_month"),
        (Rounding::EndOfQuarter, "end_of_quarter"),
        (Rounding::EndOfYear, "end_of_year"),
    ] {
        assert_eq!(serde_json::to_value(r).unwrap(), Value::from(s));
        assert_eq!(
            serde_json::from_value::<Rounding>(Value::from(s)).unwrap(),
            r
        );
        assert_eq!(r.to_string(), s);
    }

    let r: PeriodRule =
        serde_json::from_str(r#"{"duration":"P10Y","rounding":"end_of_year"}"#).unwrap();
    assert_eq!(r, rule("P10Y", Rounding::EndOfYear, false));
    let back: PeriodRule = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
    assert_eq!(back, r);
}

// ---------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------

fn any_date() -> impl Strategy<Value = NaiveDate> {
    let first = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap();
    let last = NaiveDate::from_ymd_opt(2400, 12, 31).unwrap();
    let span = u64::try_from((last - first).num_days()).unwrap();
    (0..=span).prop_map(move |n| first + chrono::Days::new(n))
}

fn small_duration() -> impl Strategy<Value = IsoDuration> {
    (0u32..200, 0u32..40, 0u32..20, 0u32..800).prop_map(|(years, months, weeks, days)| {
        IsoDuration {
            years,
            months,
            weeks,
            days,
        }
    })
}

fn any_rounding() -> impl Strategy<Value = Rounding> {
    prop_oneof![
        Just(Rounding::None),
        Just(Rounding::EndOfMonth),
        Just(Rounding::EndOfQuarter),
        Just(Rounding::EndOfYear),
    ]
}

fn any_kind() -> impl Strategy<Value = PeriodKind> {
    prop_oneof![
        Just(PeriodKind::Month),
        Just(PeriodKind::Quarter),
        Just(PeriodKind::Year)
    ]
}

proptest! {
    #[test]
    fn period_end_not_before_trigger(
        trigger in any_date(),
        duration in small_duration(),
        rounding in any_rounding(),
        start_day_counts in any::<bool>(),
    ) {
        let r = PeriodRule { duration, rounding, start_day_counts };
        let end = period_end(trigger, &r).unwrap();
        if !duration.is_zero() {
            prop_assert!(end >= trigger, "{trigger} {r:?} -> {end}");
        }
        let (explained, steps) = period_end_explained(trigger, &r).unwrap();
        prop_assert_eq!(explained, end);
        prop_assert!(!steps.is_empty());
        if rounding == Rounding::EndOfYear {
            prop_assert!(end > trigger);
        }
        match rounding {
            Rounding::EndOfMonth | Rounding::EndOfQuarter | Rounding::EndOfYear
                if rounding != Rounding::EndOfYear || duration == IsoDuration::from_years(duration.years) =>
            {
                let kind = rounding.period_kind().unwrap();
                prop_assert_eq!(end_of(end, kind), end);
            }
            _ => {}
        }
        if rounding == Rounding::None && !start_day_counts {
            prop_assert_eq!(end, add_duration(trigger, duration).unwrap());
        }
    }

    #[test]
    fn start_day_counting_ends_at_most_one_day_earlier(
        trigger in any_date(),
        duration in small_duration(),
    ) {
        let counted = period_end(trigger, &PeriodRule { duration, rounding: Rounding::None, start_day_counts: true }).unwrap();
        let event = period_end(trigger, &PeriodRule { duration, rounding: Rounding::None, start_day_counts: false }).unwrap();
        prop_assert!(counted <= event);
        prop_assert!(next_day(counted).unwrap() >= event, "{trigger} {duration}: {counted} vs {event}");
    }

    #[test]
    fn year_end_start_ignores_the_start_day_convention(
        trigger in any_date(),
        duration in small_duration(),
    ) {
        let with = |start_day_counts| period_end(trigger, &PeriodRule { duration, rounding: Rounding::EndOfYear, start_day_counts }).unwrap();
        prop_assert_eq!(with(true), with(false));
    }

    #[test]
    fn end_of_is_a_period_end(d in any_date(), kind in any_kind()) {
        let e = end_of(d, kind);
        prop_assert!(e >= d);
        let after = next_day(e).unwrap();
        prop_assert_eq!(after.day(), 1);
        prop_assert_eq!(e.year(), d.year());
        match kind {
            PeriodKind::Month => prop_assert_eq!(e.month(), d.month()),
            PeriodKind::Quarter => {
                prop_assert_eq!(e.month() % 3, 0);
                prop_assert_eq!(e.month0() / 3, d.month0() / 3);
            }
            PeriodKind::Year => prop_assert_eq!(after.month(), 1),
        }
        prop_assert_eq!(end_of(e, kind), e);
    }

    #[test]
    fn duration_display_round_trips(
        years in any::<u32>(), months in any::<u32>(), weeks in any::<u32>(), days in any::<u32>(),
        mask in 0u8..16,
    ) {
        let pick = |bit: u8, n: u32| if mask & (1 << bit) != 0 { n } else { 0 };
        let d = IsoDuration { years: pick(0, years), months: pick(1, months), weeks: pick(2, weeks), days: pick(3, days) };
        let text = d.to_string();
        prop_assert_eq!(text.parse::<IsoDuration>().unwrap(), d);
        let json = serde_json::to_string(&d).unwrap();
        prop_assert_eq!(serde_json::from_str::<IsoDuration>(&json).unwrap(), d);
    }

    #[test]
    fn add_months_is_monotone(a in any_date(), b in any_date(), months in 0u32..1200, days in 0u32..400) {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let d = IsoDuration { months, ..IsoDuration::ZERO };
        prop_assert!(add_duration(lo, d).unwrap() <= add_duration(hi, d).unwrap());
        let d = IsoDuration { months, days, ..IsoDuration::ZERO };
        prop_assert!(add_duration(lo, d).unwrap() <= add_duration(hi, d).unwrap());
    }
}

// ---------------------------------------------------------------------------------------
// Oracle: /work/shared/testdata/efile/retention-cases.json
// ---------------------------------------------------------------------------------------

fn field<'a>(case: &'a Value, single_rule: Option<&'a Value>, name: &str) -> Option<&'a Value> {
    case.get(name)
        .or_else(|| single_rule.and_then(|r| r.get(name)))
        .filter(|v| !v.is_null())
}

#[test]
fn retention_cases_oracle() {
    let Some(shared) = common::shared_dir("period::retention_cases_oracle") else {
        return;
    };
    let path = shared.join("testdata/efile/retention-cases.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let cases: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert!(!cases.is_empty());

    let mut checked = 0usize;
    let mut mismatches = Vec::new();
    let mut disposal_checked = 0usize;
    let mut skipped: Vec<(String, &str)> = Vec::new();
    let mut rule_entries = 0usize;
    for case in &cases {
        let id = case
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_owned();
        // Each entry of a `rules` array states its own end: check those too.
        for entry in case
            .get("rules")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(trigger), Some(period), Some(want)) = (
                entry.get("trigger_date").and_then(Value::as_str),
                entry.get("period").and_then(Value::as_str),
                entry.get("retention_end").and_then(Value::as_str),
            ) else {
                continue;
            };
            let r = PeriodRule {
                duration: dur(period),
                rounding: serde_json::from_value(entry["rounding"].clone()).unwrap(),
                start_day_counts: entry
                    .get("start_day_counts")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            };
            rule_entries += 1;
            let got = period_end(date(trigger), &r).unwrap();
            if got != date(want) {
                mismatches.push(format!(
                    "{id} rule entry: {trigger} {r:?}: got {got}, expected {want}"
                ));
            }
        }
        let rules = case.get("rules").filter(|v| !v.is_null());
        let single_rule = match rules.map(|r| r.as_array().map(Vec::len)) {
            None => None,
            Some(Some(1)) => rules.and_then(|r| r.get(0)),
            Some(_) => {
                skipped.push((id, "several rules"));
                continue;
            }
        };
        if case
            .get("holds")
            .and_then(Value::as_array)
            .is_some_and(|h| !h.is_empty())
        {
            skipped.push((id, "holds"));
            continue;
        }
        let (Some(trigger), Some(period), Some(expected)) = (
            field(case, single_rule, "trigger_date"),
            field(case, single_rule, "period"),
            case.get("expected_retention_end").filter(|v| !v.is_null()),
        ) else {
            skipped.push((id, "no trigger, period or expected end"));
            continue;
        };
        let trigger = date(trigger.as_str().unwrap());
        let expected = date(expected.as_str().unwrap());
        let duration: IsoDuration = serde_json::from_value(period.clone())
            .unwrap_or_else(|e| panic!("{id}: period {period}: {e}"));
        let rounding: Rounding = serde_json::from_value(
            field(case, single_rule, "rounding")
                .unwrap_or_else(|| panic!("{id}: no rounding"))
                .clone(),
        )
        .unwrap_or_else(|e| panic!("{id}: rounding: {e}"));
        let start_day_counts = field(case, single_rule, "start_day_counts")
            .map(|v| {
                v.as_bool()
                    .unwrap_or_else(|| panic!("{id}: start_day_counts {v}"))
            })
            .unwrap_or(false);
        let r = PeriodRule {
            duration,
            rounding,
            start_day_counts,
        };

        checked += 1;
        let (got, steps) = period_end_explained(trigger, &r).unwrap();
        if got != expected {
            mismatches.push(format!(
                "{id}: {trigger} {r:?}: got {got}, expected {expected}\n    {}",
                steps.join("\n    ")
            ));
            continue;
        }
        // Disposal = retention end + 1 day, when nothing else moves it.
        if case.get("not_before").is_none_or(Value::is_null) {
            if let Some(disposal) = case.get("expected_disposal_date").and_then(Value::as_str) {
                disposal_checked += 1;
                let next = next_day(got).unwrap();
                if next != date(disposal) {
                    mismatches.push(format!("{id}: disposal {next}, expected {disposal}"));
                }
            }
        }
    }
    let agree = checked
        - mismatches
            .iter()
            .filter(|m| !m.contains(": disposal ") && !m.contains(" rule entry: "))
            .count();
    println!("period oracle: {agree}/{checked} single-rule hold-free cases agree");
    println!("period oracle: {disposal_checked} disposal dates (= retention end + 1 day) checked");
    println!("period oracle: {rule_entries} entries of multi-rule `rules` arrays checked");
    println!(
        "period oracle: {} of {} cases skipped: {}",
        skipped.len(),
        cases.len(),
        skipped
            .iter()
            .map(|(id, why)| format!("{id} ({why})"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    assert!(checked > 0, "no qualifying case in {}", path.display());
    assert!(
        mismatches.is_empty(),
        "period oracle mismatches:\n{}",
        mismatches.join("\n")
    );
}
