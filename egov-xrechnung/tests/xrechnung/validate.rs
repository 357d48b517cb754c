//! The whole pipeline against the official KoSIT verdicts (`expected.json`, 868 files): verdict
//! agreement, exact fatal id sets, scenario, warnings and information.
use crate::common::shared_dir;
use egov_xrechnung::Validator;
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
}
