//! The XSD step against the KoSIT oracle: the vendored schemas, the corpus, and every verdict of
//! `expected.json`.
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use egov_core::xml::{Document, Limits};
use egov_xrechnung::schema;

use crate::common::{corpus, shared_dir};

#[test]
fn vendored_files_equal_shared() {
    let Some(shared) = shared_dir("vendored_files_equal_shared") else {
        return;
    };
    let dir = shared.join("specs/xrechnung");
    let mut on_disk = 0;
    for entry in walk(&dir.join("xsd")) {
        if entry.extension().is_some_and(|e| e == "xsd") {
            on_disk += 1;
        }
    }
    assert_eq!(
        schema::files().len(),
        on_disk,
        "every shared XSD is vendored"
    );
    for (loc, bytes) in schema::files() {
        let disk = std::fs::read(dir.join(loc)).unwrap();
        assert!(
            disk == *bytes,
            "{loc} differs from shared/specs/xrechnung/{loc}"
        );
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn scenario_locations_resolve() {
    let Some(shared) = shared_dir("scenario_locations_resolve") else {
        return;
    };
    let text = std::fs::read_to_string(shared.join("specs/xrechnung/scenarios.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let scenarios = json["scenarios"].as_array().unwrap();
    assert!(!scenarios.is_empty());
    for s in scenarios {
        for loc in s["xml_schema"].as_array().unwrap() {
            let loc = loc.as_str().unwrap();
            let set = schema::by_location(loc)
                .unwrap_or_else(|| panic!("no schema for {loc}"))
                .unwrap();
            assert_eq!(set.documents()[0], loc);
        }
    }
}

/// Parses and validates one file; `None` when it is not well-formed or has no schema step.
fn violations(path: &Path) -> Option<Vec<egov_core::xsd::SchemaViolation>> {
    let bytes = std::fs::read(path).unwrap();
    let doc = Document::parse(&bytes, &Limits::large()).ok()?;
    let set = schema::for_document(&doc)?.unwrap();
    Some(set.validate(&doc))
}

#[test]
fn corpus_is_schema_valid() {
    let Some(shared) = shared_dir("corpus_is_schema_valid") else {
        return;
    };
    let expected = expected(&shared);
    let base = shared.join("testdata/xrechnung");
    let mut checked = 0;
    for path in corpus(&shared) {
        let rel = path
            .strip_prefix(&base)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let lists_xsd = expected
            .get(&rel)
            .is_some_and(|v| v["fatal"].as_array().unwrap().iter().any(|x| x == "XSD"));
        if lists_xsd {
            continue;
        }
        let Some(v) = violations(&path) else { continue };
        assert!(v.is_empty(), "{rel}: {}", v[0]);
        checked += 1;
    }
    assert!(checked >= 100, "only {checked} corpus files checked");
    println!("corpus: {checked} files schema-valid");
}

fn expected(shared: &Path) -> BTreeMap<String, serde_json::Value> {
    let text = std::fs::read_to_string(shared.join("testdata/xrechnung/expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// For every verdict of the KoSIT pipeline where the XSD step ran (a scenario matched), "has
/// XSD violations" must equal "lists `XSD`".
#[test]
fn agrees_with_kosit_on_every_verdict() {
    let Some(shared) = shared_dir("agrees_with_kosit_on_every_verdict") else {
        return;
    };
    let expected = expected(&shared);
    assert!(expected.len() >= 868, "{} verdicts", expected.len());
    let base = shared.join("testdata/xrechnung");
    let (mut agree, mut total) = (0usize, 0usize);
    let (mut not_wellformed, mut no_schema, mut no_scenario, mut no_scenario_invalid) =
        (0, 0, 0, 0);
    let mut disagreements = Vec::new();
    let mut xsd_findings = Vec::new();
    let started = Instant::now();
    for (rel, verdict) in &expected {
        let path = base.join(rel);
        let Some(v) = violations(&path) else {
            let bytes = std::fs::read(&path).unwrap();
            if Document::parse(&bytes, &Limits::large()).is_err() {
                not_wellformed += 1;
            } else {
                no_schema += 1;
            }
            continue;
        };
        let lists_xsd = verdict["fatal"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x == "XSD");
        if verdict["scenario"].is_null() {
            // KoSIT stops before the XSD step when no scenario matches.
            no_scenario += 1;
            if !v.is_empty() {
                no_scenario_invalid += 1;
            }
            continue;
        }
        total += 1;
        if lists_xsd != v.is_empty() {
            agree += 1;
            if lists_xsd {
                xsd_findings.push(format!("{rel}: {}", v[0]));
            }
        } else {
            disagreements.push(format!(
                "{rel}: KoSIT XSD={lists_xsd}, ours: {}",
                v.first().map_or("valid".to_string(), ToString::to_string)
            ));
        }
    }
    println!(
        "xsd conformance: {agree}/{total} files agree ({} s; skipped: {not_wellformed} not well-formed, \
         {no_schema} without XSD step, {no_scenario} without scenario of which {no_scenario_invalid} schema-invalid)",
        started.elapsed().as_secs_f32()
    );
    for f in &xsd_findings {
        println!("  XSD  {f}");
    }
    for d in &disagreements {
        println!("  DISAGREE {d}");
    }
    assert!(total > 700, "only {total} verdicts evaluated");
    assert!(
        disagreements.is_empty(),
        "{} disagreements",
        disagreements.len()
    );
}

/// The compact compiled forms in `data/xsd/compiled/` are what the vendored XSDs compile to
/// (`EGOV_WRITE_COMPILED_XSD=1` rewrites them).
#[test]
fn compiled_forms_are_current() {
    let write = std::env::var_os("EGOV_WRITE_COMPILED_XSD").is_some();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/xsd/compiled");
    for (entry, file, shipped) in schema::compiled_forms() {
        let fresh = schema::compile(entry).unwrap().to_bytes();
        if write {
            std::fs::write(dir.join(file), &fresh).unwrap();
            println!("wrote data/xsd/compiled/{file} ({} bytes)", fresh.len());
        } else {
            assert!(
                fresh == *shipped,
                "data/xsd/compiled/{file} is stale: run \
                 `EGOV_WRITE_COMPILED_XSD=1 cargo test -p egov-xrechnung --test xrechnung compiled_forms_are_current`"
            );
        }
    }
}

/// The loaded compact form validates exactly like the freshly compiled schema.
#[test]
fn compiled_form_validates_like_the_xsd() {
    let Some(shared) = shared_dir("compiled_form_validates_like_the_xsd") else {
        return;
    };
    let fresh: Vec<_> = [schema::UBL_INVOICE, schema::UBL_CREDIT_NOTE, schema::CII]
        .iter()
        .map(|e| schema::compile(e).unwrap())
        .collect();
    let mut n = 0;
    for (rel, _) in expected(&shared) {
        let bytes = std::fs::read(shared.join("testdata/xrechnung").join(&rel)).unwrap();
        let Ok(doc) = Document::parse(&bytes, &Limits::large()) else {
            continue;
        };
        let Some(loaded) = schema::for_document(&doc) else {
            continue;
        };
        let loaded = loaded.unwrap();
        let i = match loaded.documents()[0].as_str() {
            schema::UBL_INVOICE => 0,
            schema::UBL_CREDIT_NOTE => 1,
            _ => 2,
        };
        assert_eq!(loaded.validate(&doc), fresh[i].validate(&doc), "{rel}");
        n += 1;
    }
    assert!(n > 800);
}
