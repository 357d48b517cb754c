//! The whole pipeline against the official KoSIT verdicts (`expected.json`, 868 files): verdict
//! agreement, exact fatal id sets, scenario, warnings and information.
use crate::common::shared_dir;
use egov_core::xml::Document;
use egov_xrechnung::rules::Scenarios;
use egov_xrechnung::{invoice_limits, Validator};
use serde_json::Value;
use std::collections::BTreeSet;

fn ids(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn set(v: &[String]) -> BTreeSet<String> {
    v.iter().cloned().collect()
}

#[test]
fn conformance_with_the_official_pipeline() {
    let Some(shared) = shared_dir("conformance_with_the_official_pipeline") else {
        return;
    };
    let expected: serde_json::Map<String, Value> = serde_json::from_slice(
        &std::fs::read(shared.join("testdata/xrechnung/expected.json")).unwrap(),
    )
    .unwrap();
    let root = shared.join("testdata/xrechnung");
    let validator = Validator::xrechnung();
    let (mut total, mut verdict_ok, mut fatal_ok, mut scenario_ok, mut all_ok) = (0, 0, 0, 0, 0);
    let mut differences = Vec::new();
    for (rel, exp) in &expected {
        let bytes = std::fs::read(root.join(rel)).unwrap();
        let report = validator.validate(&bytes);
        total += 1;
        let exp_valid = exp["valid"].as_bool().unwrap();
        let exp_fatal = ids(&exp["fatal"]);
        let (got_fatal, got_warning, got_info) = (
            set(&report.fatal),
            set(&report.warning),
            set(&report.information),
        );
        let same_scenario = exp["scenario"].as_str() == report.scenario.as_deref();
        verdict_ok += usize::from(report.valid == exp_valid);
        fatal_ok += usize::from(got_fatal == exp_fatal);
        scenario_ok += usize::from(same_scenario);
        let exact = got_fatal == exp_fatal
            && got_warning == ids(&exp["warning"])
            && got_info == ids(&exp["information"])
            && same_scenario;
        all_ok += usize::from(exact);
        if !exact || report.valid != exp_valid {
            let diff = |got: &BTreeSet<String>, want: &BTreeSet<String>| {
                format!(
                    "missing {:?} extra {:?}",
                    want.difference(got).collect::<Vec<_>>(),
                    got.difference(want).collect::<Vec<_>>()
                )
            };
            differences.push(format!(
                "{rel}: valid {} (expected {exp_valid}); fatal {}; warning {}; information {}; scenario {:?} (expected {:?})",
                report.valid,
                diff(&got_fatal, &exp_fatal),
                diff(&got_warning, &ids(&exp["warning"])),
                diff(&got_info, &ids(&exp["information"])),
                report.scenario,
                exp["scenario"].as_str(),
            ));
        }
    }
    let pct = |n: usize| 100.0 * n as f64 / total as f64;
    println!(
        "xrechnung conformance ({total} files): verdict {verdict_ok}/{total} ({:.2} %), exact fatal set {fatal_ok}/{total} ({:.2} %), scenario {scenario_ok}/{total}, everything exact {all_ok}/{total} ({:.2} %)",
        pct(verdict_ok),
        pct(fatal_ok),
        pct(all_ok)
    );
    for d in differences.iter().take(60) {
        println!("  {d}");
    }
    assert!(total >= 868);
    assert_eq!(verdict_ok, total, "verdict agreement must be 100 %");
    assert!(
        pct(fatal_ok) >= 99.0,
        "exact fatal id sets on at least 99 % of files"
    );
    // every finding set has been exact since the validator was finished: any difference is a
    // regression (listed above)
    assert_eq!(all_ok, total, "finding sets no longer exact on every file");
}

/// Values that break the assumptions of rules: not numbers, numbers beyond every numeric type,
/// empty, whitespace, very long, characters that need escaping, other scripts.
const HOSTILE: &[&str] = &[
    "",
    " ",
    "abc",
    "-",
    "1.",
    ".5",
    "1e400",
    "-1E-400",
    "NaN",
    "INF",
    "99999999999999999999999999999999999999.999999999999",
    "-0.000000000000000000000000000000000001",
    "0x10",
    "١٢٣",
    "DE89 3704 0044 0532 0130 00",
    "XX00",
    "2026-02-30",
    "&amp;&lt;&gt;",
    "#SKONTO#TAGE=14#PROZENT=2.00#\n",
];

/// Replaces the text of some elements (chosen by a fixed pseudo-random sequence) with hostile
/// values; the result stays well-formed, so it reaches the schema and the rules.
fn mutate(xml: &str, seed: u64) -> String {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    let long = "9".repeat(5000);
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(gt) = rest.find('>') {
        let (head, tail) = rest.split_at(gt + 1);
        out.push_str(head);
        let end = tail.find('<').unwrap_or(tail.len());
        let (text, after) = tail.split_at(end);
        if !text.trim().is_empty() && next() % 4 == 0 {
            let k = next() % (HOSTILE.len() + 1);
            out.push_str(HOSTILE.get(k).copied().unwrap_or(&long));
        } else {
            out.push_str(text);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

#[test]
fn mutated_invoices_never_panic() {
    let validator = Validator::xrechnung();
    let mut inputs: Vec<String> = vec![include_str!("../fixtures/minimal-ubl.xml").to_string()];
    if let Some(shared) = shared_dir("mutated_invoices_never_panic") {
        let files =
            crate::common::xml_files(&shared.join("testdata/xrechnung/xrechnung-testsuite"));
        // every syntax and document type, small enough to keep the test quick
        inputs.extend(
            files
                .iter()
                .filter_map(|p| std::fs::read_to_string(p).ok())
                .filter(|x| x.len() < 40_000),
        );
    }
    let scenarios = Scenarios::kosit().unwrap();
    let (mut reports, mut invalid, mut ran_rules, mut errors) = (0, 0, 0, 0);
    for (i, xml) in inputs.iter().enumerate() {
        for round in 0..6u64 {
            let mutated = mutate(xml, (i as u64) * 31 + round);
            let report = validator.validate(mutated.as_bytes());
            assert_eq!(report.valid, report.fatal.is_empty());
            serde_json::from_str::<Value>(&report.to_json()).unwrap();
            reports += 1;
            invalid += usize::from(!report.valid);
            // the rules also see what the schema would stop: errors are fine, panics are not
            let Ok(doc) = Document::parse(mutated.as_bytes(), &invoice_limits()) else {
                continue;
            };
            if let Some(scenario) = scenarios.select(&doc).scenario() {
                ran_rules += 1;
                errors += usize::from(scenario.run_schematron(&doc).is_err());
            }
        }
    }
    eprintln!(
        "mutated invoices: {reports} validated without panic ({invalid} rejected); rules run on \
         {ran_rules} of them regardless of the schema ({errors} dynamic errors)"
    );
}
