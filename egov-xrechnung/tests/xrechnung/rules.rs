//! Schematron conformance against KoSIT's official pipeline (expected.json: verdicts and finding
//! ids of the KoSIT validator for every test file), the CEN unit test sets, and API behaviour.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use egov_core::xml::{escape_into, Document, Node, NodeKind};
use egov_xrechnung::report::Flag;
use egov_xrechnung::rules::{Finding, RuleSet, ScenarioSelection, Scenarios};
use egov_xrechnung::{invoice_limits, Syntax};
use serde_json::Value;

use crate::common::shared_dir;

type Ids = BTreeSet<String>;

fn ids(v: &Value, key: &str) -> Ids {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn by_flag(findings: &[Finding], flag: Flag, effective: bool) -> Ids {
    findings
        .iter()
        .filter(|f| (if effective { f.flag } else { f.source_flag }) == flag)
        .map(|f| f.id.clone())
        .collect()
}

#[derive(Default)]
struct Tally {
    files: usize,
    exact: usize,
    scenario: usize,
    fatal: usize,
    warning: usize,
    information: usize,
    verdict: usize,
    cen_files: usize,
    cen_exact: usize,
    mismatches: Vec<String>,
}

fn diff(label: &str, got: &Ids, want: &Ids) -> Option<String> {
    if got == want {
        return None;
    }
    let missing: Vec<_> = want.difference(got).collect();
    let extra: Vec<_> = got.difference(want).collect();
    Some(format!("{label}: missing {missing:?} extra {extra:?}"))
}

fn pct(n: usize, d: usize) -> f64 {
    if d == 0 {
        100.0
    } else {
        100.0 * n as f64 / d as f64
    }
}

/// What our pipeline (scenario selection + schematron) says about one document.
struct Outcome {
    scenario: Option<String>,
    fatal: Ids,
    warning: Ids,
    information: Ids,
}

fn run_pipeline(doc: &Document) -> Outcome {
    let scenarios = Scenarios::kosit().unwrap();
    match scenarios.select(doc) {
        ScenarioSelection::Matched(s) => {
            let (findings, failed) = match s.run_schematron(doc) {
                Ok(f) => (f, false),
                Err(e) => {
                    eprintln!("  processing error: {e}");
                    (e.findings, true)
                }
            };
            let mut fatal = by_flag(&findings, Flag::Fatal, true);
            if failed {
                fatal.insert("SCHEMATRON-PROCESSING-ERROR".into());
            }
            Outcome {
                scenario: Some(s.name().to_string()),
                fatal,
                warning: by_flag(&findings, Flag::Warning, true),
                information: by_flag(&findings, Flag::Information, true),
            }
        }
        _ => Outcome {
            scenario: None,
            fatal: ["NO-SCENARIO".to_string()].into_iter().collect(),
            warning: Ids::new(),
            information: Ids::new(),
        },
    }
}

/// The CEN stage alone (raw flags), syntax from the root element.
fn run_cen(doc: &Document) -> Option<(Ids, Ids)> {
    let syntax = Syntax::detect(doc.root_element())?;
    let rules = RuleSet::for_syntax(syntax).unwrap();
    let cen = rules.en16931().unwrap();
    match cen.run(doc, None) {
        Ok(f) => Some((
            by_flag(&f, Flag::Fatal, false),
            by_flag(&f, Flag::Warning, false),
        )),
        Err(e) => {
            let mut fatal = by_flag(&e.findings, Flag::Fatal, false);
            fatal.insert("SCHEMATRON-PROCESSING-ERROR".into());
            Some((fatal, by_flag(&e.findings, Flag::Warning, false)))
        }
    }
}

#[test]
fn conformance_with_kosit_pipeline() {
    let Some(shared) = shared_dir("rules::conformance_with_kosit_pipeline") else {
        return;
    };
    let base = shared.join("testdata/xrechnung");
    let expected: BTreeMap<String, Value> =
        serde_json::from_slice(&std::fs::read(base.join("expected.json")).unwrap()).unwrap();
    let mut t = Tally::default();
    let started = std::time::Instant::now();
    for (rel, exp) in &expected {
        let want_fatal = ids(exp, "fatal");
        if want_fatal.contains("XSD") || want_fatal.contains("XML-WELLFORMED") {
            continue; // the official pipeline stops before schematron
        }
        let bytes = std::fs::read(base.join(rel)).unwrap();
        let Ok(doc) = Document::parse(&bytes, &invoice_limits()) else {
            t.mismatches.push(format!(
                "{rel}: not well-formed for egov-core, expected {want_fatal:?}"
            ));
            t.files += 1;
            continue;
        };
        t.files += 1;
        let got = run_pipeline(&doc);
        let want_scenario = exp
            .get("scenario")
            .and_then(Value::as_str)
            .map(str::to_string);
        let want_warning = ids(exp, "warning");
        let want_information = ids(exp, "information");
        let mut problems = Vec::new();
        if got.scenario == want_scenario {
            t.scenario += 1;
        } else {
            problems.push(format!(
                "scenario {:?} != {:?}",
                got.scenario, want_scenario
            ));
        }
        match diff("fatal", &got.fatal, &want_fatal) {
            None => t.fatal += 1,
            Some(d) => problems.push(d),
        }
        match diff("warning", &got.warning, &want_warning) {
            None => t.warning += 1,
            Some(d) => problems.push(d),
        }
        match diff("information", &got.information, &want_information) {
            None => t.information += 1,
            Some(d) => problems.push(d),
        }
        let got_valid = got.scenario.is_some() && got.fatal.is_empty();
        let want_valid = exp.get("valid").and_then(Value::as_bool).unwrap_or(false);
        if got_valid == want_valid {
            t.verdict += 1;
        } else {
            problems.push(format!("verdict {got_valid} != {want_valid}"));
        }
        if problems.is_empty() {
            t.exact += 1;
        }
        // the CEN stage on its own (also for documents no scenario matches)
        if let (Some(cen_exp), Some((cf, cw))) = (exp.get("en16931"), run_cen(&doc)) {
            t.cen_files += 1;
            let d1 = diff("en16931 fatal", &cf, &ids(cen_exp, "fatal"));
            let d2 = diff("en16931 warning", &cw, &ids(cen_exp, "warning"));
            if d1.is_none() && d2.is_none() {
                t.cen_exact += 1;
            } else {
                problems.extend(d1);
                problems.extend(d2);
            }
        }
        if !problems.is_empty() {
            t.mismatches.push(format!("{rel}: {}", problems.join("; ")));
        }
    }
    let elapsed = started.elapsed();
    for m in &t.mismatches {
        eprintln!("MISMATCH {m}");
    }
    eprintln!(
        "rules conformance: {}/{} files exact (scenario {:.1} %, fatal {:.1} %, warning {:.1} %, information {:.1} %, verdict {:.1} %); en16931 stage {}/{} exact ({:.1} %); {:.0} ms",
        t.exact,
        t.files,
        pct(t.scenario, t.files),
        pct(t.fatal, t.files),
        pct(t.warning, t.files),
        pct(t.information, t.files),
        pct(t.verdict, t.files),
        t.cen_exact,
        t.cen_files,
        pct(t.cen_exact, t.cen_files),
        elapsed.as_secs_f64() * 1000.0
    );
    assert!(t.files > 700, "only {} files compared", t.files);
    assert_eq!(t.verdict, t.files, "verdict agreement must be 100 %");
    assert_eq!(t.scenario, t.files, "scenario selection must agree");
    assert!(pct(t.fatal, t.files) >= 99.0, "fatal id sets below 99 %");
    assert!(
        pct(t.warning, t.files) >= 99.0,
        "warning id sets below 99 %"
    );
    assert!(
        pct(t.cen_exact, t.cen_files) >= 99.0,
        "en16931 stage below 99 %"
    );
    // exact on every file since the rules were finished: any difference is a regression
    assert_eq!(t.exact, t.files, "rules no longer exact on every file");
    assert_eq!(t.cen_exact, t.cen_files, "en16931 stage no longer exact");
}

/// Serializes an element subtree as a standalone document (in-scope namespaces declared on the
/// root).
fn serialize(root: Node<'_>) -> String {
    fn walk(n: Node<'_>, is_root: bool, out: &mut String) {
        match n.kind() {
            NodeKind::Element => {
                out.push('<');
                out.push_str(&n.qualified_name());
                let decls: Vec<(&str, &str)> = if is_root {
                    n.in_scope_namespaces()
                } else {
                    n.namespace_declarations().collect()
                };
                for (p, uri) in decls {
                    if p.is_empty() {
                        out.push_str(" xmlns=\"");
                    } else {
                        out.push_str(" xmlns:");
                        out.push_str(p);
                        out.push_str("=\"");
                    }
                    escape_into(out, uri, true);
                    out.push('"');
                }
                for a in n.attributes() {
                    out.push(' ');
                    out.push_str(&a.qualified_name());
                    out.push_str("=\"");
                    escape_into(out, a.value(), true);
                    out.push('"');
                }
                out.push('>');
                for c in n.children() {
                    walk(c, false, out);
                }
                out.push_str("</");
                out.push_str(&n.qualified_name());
                out.push('>');
            }
            NodeKind::Text | NodeKind::CData => escape_into(out, n.value(), false),
            _ => {}
        }
    }
    let mut out = String::new();
    walk(root, true, &mut out);
    out
}

const VEFA: &str = "http://difi.no/xsd/vefa/validator/1.0";

#[test]
fn cen_unit_test_sets() {
    let Some(shared) = shared_dir("rules::cen_unit_test_sets") else {
        return;
    };
    let base = shared.join("testdata/xrechnung/en16931/test");
    let mut checks = 0usize;
    let mut passed = 0usize;
    let mut failures = Vec::new();
    for dir in ["Invoice-unit-UBL", "CreditNote-unit-UBL"] {
        for path in crate::common::xml_files(&base.join(dir)) {
            let name = path
                .strip_prefix(&base)
                .unwrap_or(Path::new(""))
                .display()
                .to_string();
            let bytes = std::fs::read(&path).unwrap();
            let set = Document::parse(&bytes, &invoice_limits()).unwrap();
            for (ti, test) in set.root_element().children_named(VEFA, "test").enumerate() {
                let Some(assert) = test.child(VEFA, "assert") else {
                    continue;
                };
                let Some(invoice) = test.element_children().find(|c| c.namespace() != VEFA) else {
                    continue;
                };
                let xml = serialize(invoice);
                let doc = Document::parse(xml.as_bytes(), &invoice_limits()).unwrap();
                let syntax = Syntax::detect(doc.root_element()).unwrap();
                let cen = RuleSet::for_syntax(syntax).unwrap().en16931().unwrap();
                let findings = match cen.run(&doc, None) {
                    Ok(f) => f,
                    Err(e) => {
                        failures.push(format!("{name} test {}: processing error {e}", ti + 1));
                        checks += 1;
                        continue;
                    }
                };
                for expect in assert.element_children() {
                    let kind = expect.local_name();
                    if !matches!(kind, "success" | "error" | "warning") {
                        continue;
                    }
                    let id = expect.text().trim().to_string();
                    let fired: Vec<&Finding> = findings.iter().filter(|f| f.id == id).collect();
                    let ok = match kind {
                        "success" => fired.is_empty(),
                        _ => {
                            let flag_ok = fired
                                .iter()
                                .all(|f| (kind == "warning") == (f.source_flag == Flag::Warning));
                            let count_ok = match expect.attribute("number") {
                                Some(n) => n.parse::<usize>().is_ok_and(|n| n == fired.len()),
                                None => !fired.is_empty(),
                            };
                            flag_ok && count_ok
                        }
                    };
                    checks += 1;
                    if ok {
                        passed += 1;
                    } else {
                        failures.push(format!(
                            "{name} test {}: expected {kind} {id}{}, fired {}",
                            ti + 1,
                            expect
                                .attribute("number")
                                .map(|n| format!(" ×{n}"))
                                .unwrap_or_default(),
                            fired.len()
                        ));
                    }
                }
            }
        }
    }
    for f in &failures {
        eprintln!("UNIT {f}");
    }
    eprintln!("CEN unit testSets: {passed}/{checks} rule checks pass");
    assert!(checks > 1000, "only {checks} checks found");
    assert!(pct(passed, checks) >= 99.0, "CEN unit test sets below 99 %");
}

#[test]
fn scenario_selection_and_levels() {
    let scenarios = Scenarios::kosit().unwrap();
    assert_eq!(scenarios.iter().count(), 11);
    let doc = Document::parse_default(
        br#"<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"><cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0#conformant#urn:xeinkauf.de:kosit:extension:xrechnung_3.0</cbc:CustomizationID></Invoice>"#,
    )
    .unwrap();
    let s = scenarios.select(&doc).scenario().unwrap();
    assert_eq!(s.name(), "EN16931 XRechnung Extension (UBL Invoice)");
    assert_eq!(s.syntax(), Syntax::Ubl);
    assert_eq!(s.schematron().len(), 2);
    assert_eq!(s.effective_flag("BR-CO-16", Flag::Fatal), Flag::Information);
    assert_eq!(s.effective_flag("BR-CO-10", Flag::Fatal), Flag::Fatal);
    let findings = s.run_schematron(&doc).unwrap();
    assert!(findings
        .iter()
        .any(|f| f.id == "BR-02" && f.flag == Flag::Fatal));
    let f = findings.iter().find(|f| f.id == "BR-02").unwrap();
    assert_eq!(f.location.path, "/Invoice");
    assert_eq!(f.location.line, 1);
    assert!(f.message.contains("BR-02"), "{}", f.message);

    let other = Document::parse_default(b"<x/>").unwrap();
    assert!(matches!(
        scenarios.select(&other),
        ScenarioSelection::NoMatch
    ));
}

#[test]
fn duplicated_invoice_number_is_a_processing_error() {
    // two cbc:ID (BT-1): normalize-space(cbc:ID) in a rule raises XPTY0004, the schema fails
    let doc = Document::parse_default(
        br#"<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"><cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0</cbc:CustomizationID><cbc:ID>1</cbc:ID><cbc:ID>2</cbc:ID></Invoice>"#,
    )
    .unwrap();
    let s = Scenarios::kosit().unwrap().select(&doc).scenario().unwrap();
    match s.run_schematron(&doc) {
        Ok(f) => panic!("expected a processing error, got {} findings", f.len()),
        Err(e) => {
            assert_eq!(e.error.code, "XPTY0004", "{e}");
            assert!(e.error.message.contains("more than one item"), "{e}");
        }
    }
}

#[test]
fn message_value_of_parts_are_filled_in() {
    let doc = Document::parse_default(
        br#"<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2" xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"><cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0#conformant#urn:xeinkauf.de:kosit:extension:xrechnung_3.0</cbc:CustomizationID><cac:AdditionalDocumentReference><cbc:ID>A</cbc:ID><cac:Attachment><cbc:EmbeddedDocumentBinaryObject mimeCode="text/x-nope" filename="a">AA==</cbc:EmbeddedDocumentBinaryObject></cac:Attachment></cac:AdditionalDocumentReference></Invoice>"#,
    )
    .unwrap();
    let s = Scenarios::kosit().unwrap().select(&doc).scenario().unwrap();
    let findings = s.run_schematron(&doc).unwrap();
    let f = findings.iter().find(|f| f.id == "BR-DEX-01").unwrap();
    assert!(
        f.message.contains("cbc:EmbeddedDocumentBinaryObject") && f.message.contains("text/x-nope"),
        "{}",
        f.message
    );
    assert!(!f.message.contains("value-of"));
}

#[test]
#[ignore]
fn timing_probe() {
    let Some(shared) = shared_dir("rules::timing_probe") else {
        return;
    };
    // FILTER=<part of a path> restricts the probe to matching files
    let filter = std::env::var("FILTER").unwrap_or_default();
    let files: Vec<_> =
        crate::common::xml_files(&shared.join("testdata/xrechnung/xrechnung-testsuite"))
            .into_iter()
            .filter(|p| p.to_string_lossy().contains(&filter))
            .collect();
    let bytes: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).unwrap()).collect();
    let t0 = std::time::Instant::now();
    egov_xrechnung::Validator::xrechnung().warm_up().unwrap();
    eprintln!("load and compile both syntaxes: {:?}", t0.elapsed());
    let docs: Vec<Document> = bytes
        .iter()
        .map(|b| Document::parse(b, &invoice_limits()).unwrap())
        .collect();
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(7);
    let mut best_parse = vec![f64::MAX; docs.len()];
    let mut best_rules = vec![f64::MAX; docs.len()];
    for _ in 0..rounds {
        for (i, b) in bytes.iter().enumerate() {
            let t = std::time::Instant::now();
            let _ = Document::parse(b, &invoice_limits()).unwrap();
            best_parse[i] = best_parse[i].min(t.elapsed().as_secs_f64() * 1e6);
        }
        for (i, doc) in docs.iter().enumerate() {
            let t = std::time::Instant::now();
            if let Some(s) = Scenarios::kosit().unwrap().select(doc).scenario() {
                let _ = s.run_schematron(doc);
            }
            best_rules[i] = best_rules[i].min(t.elapsed().as_secs_f64() * 1e6);
        }
    }
    let med = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        v[v.len() / 2]
    };
    let sum = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    eprintln!(
        "parse median {:.1} µs mean {:.1} µs; schematron median {:.1} µs mean {:.1} µs",
        med(&best_parse),
        sum(&best_parse),
        med(&best_rules),
        sum(&best_rules)
    );
    if std::env::var("PERFILE").is_ok() {
        let mut v: Vec<_> = files
            .iter()
            .zip(best_rules.iter().zip(&best_parse))
            .collect();
        v.sort_by(|a, b| b.1 .0.partial_cmp(a.1 .0).unwrap());
        for (f, (r, p)) in v.iter().take(15) {
            eprintln!("{r:9.1} µs rules {p:8.1} µs parse {}", f.display());
        }
    }
}

/// Run alone (`cargo test --release --test xrechnung cold_start -- --ignored --nocapture`): a
/// fresh process validating its first invoice.
#[test]
#[ignore]
fn cold_start_probe() {
    let Some(shared) = shared_dir("rules::cold_start_probe") else {
        return;
    };
    let which = std::env::var("COLD").unwrap_or_else(|_| "01.01a-INVOICE_ubl.xml".into());
    let path = crate::common::xml_files(&shared.join("testdata/xrechnung/xrechnung-testsuite"))
        .into_iter()
        .find(|p| p.ends_with(&which))
        .unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let validator = egov_xrechnung::Validator::xrechnung();
    let faults_before = minor_faults();
    let t = std::time::Instant::now();
    let first = validator.validate(&bytes);
    let t_first = t.elapsed();
    // a fresh process pays for every page of memory it touches first (~2 µs each on a VM)
    if let (Some(a), Some(b)) = (faults_before, minor_faults()) {
        eprintln!("page faults during the first validation: {}", b - a);
    }
    let mut later = Vec::new();
    // REPEAT=n: that many later validations (default 5; 0 for instruction counts of the first)
    let repeat = std::env::var("REPEAT")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    for _ in 0..repeat {
        let t = std::time::Instant::now();
        let again = validator.validate(&bytes);
        later.push(t.elapsed());
        assert_eq!(first, again);
    }
    eprintln!(
        "cold start {which}: first validation in this process {t_first:?} (valid: {}), then {later:?}",
        first.valid
    );
}

/// Minor page faults of this process so far (Linux; `None` elsewhere).
fn minor_faults() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // the fields after the command name (which is in parentheses and may hold spaces)
    let after = stat.rsplit_once(')')?.1;
    after.split_whitespace().nth(7)?.parse().ok()
}

/// For instruction counts (`valgrind --tool=callgrind --toggle-collect='*validate_document*'`):
/// the whole validator over the testsuite invoices (FILTER as in `timing_probe`), once each,
/// after warming up.
#[test]
#[ignore]
fn validate_probe() {
    let Some(shared) = shared_dir("rules::validate_probe") else {
        return;
    };
    let filter = std::env::var("FILTER").unwrap_or_default();
    let validator = egov_xrechnung::Validator::xrechnung();
    validator.warm_up().unwrap();
    // ROUNDS=n: validate each file that many times (default 1)
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(1);
    let mut valid = 0;
    for p in crate::common::xml_files(&shared.join("testdata/xrechnung/xrechnung-testsuite")) {
        if p.to_string_lossy().contains(&filter) {
            let bytes = std::fs::read(p).unwrap();
            for _ in 0..rounds {
                valid += usize::from(validator.validate(&bytes).valid);
            }
        }
    }
    eprintln!("{valid} valid");
}

/// The rule set dispatches rules to elements by shape (names on the path from the root, cached
/// per syntax); each schema run on its own matches every candidate rule against the node. Both
/// must find the same.
fn assert_dispatch_agrees(doc: &Document, label: &str) {
    let syntax = Syntax::detect(doc.root_element()).unwrap();
    let rules = RuleSet::for_syntax(syntax).unwrap();
    let names: Vec<&str> = rules.schemas().iter().map(|s| s.name()).collect();
    let by_shape: Vec<_> = rules.run(doc, &names).unwrap().iter().map(key).collect();
    let one_by_one: Vec<_> = rules
        .schemas()
        .iter()
        .flat_map(|s| s.run(doc, None).unwrap())
        .map(|f| key(&f))
        .collect();
    assert_eq!(by_shape, one_by_one, "{label}");
}

#[test]
fn shape_dispatch_finds_what_matching_every_rule_finds() {
    let fixture = Document::parse_default(include_bytes!("../fixtures/minimal-ubl.xml")).unwrap();
    assert_dispatch_agrees(&fixture, "minimal-ubl.xml");
    let Some(shared) = shared_dir("rules::shape_dispatch_finds_what_matching_every_rule_finds")
    else {
        return;
    };
    let files = crate::common::xml_files(&shared.join("testdata/xrechnung/xrechnung-testsuite"));
    for p in &files {
        let doc = Document::parse(&std::fs::read(p).unwrap(), &invoice_limits()).unwrap();
        assert_dispatch_agrees(&doc, &p.display().to_string());
    }
    eprintln!("shape dispatch: {} testsuite invoices agree", files.len());
}

#[test]
fn shape_table_is_bounded_and_falls_back() {
    // 40,000 elements with distinct names: more shapes than the table keeps
    let fixture = include_str!("../fixtures/minimal-ubl.xml");
    let mut many = String::from("<cbc:Note>x</cbc:Note>");
    for i in 0..40_000 {
        many.push_str(&format!("<cbc:Unknown{i}/>"));
    }
    let at = fixture.find("<cbc:DocumentCurrencyCode>").unwrap();
    let hostile = format!("{}{many}{}", &fixture[..at], &fixture[at..]);
    let doc = Document::parse(hostile.as_bytes(), &invoice_limits()).unwrap();
    assert_dispatch_agrees(&doc, "40,000 distinct names");
    // and a document with new shapes afterwards still gets every finding
    let other = fixture.replace("<cac:Contact>", "<cac:Contact><cbc:Extra1/>");
    let doc = Document::parse(other.as_bytes(), &invoice_limits()).unwrap();
    assert_dispatch_agrees(&doc, "after the table is full");
}

/// For instruction counts (`valgrind --tool=callgrind --toggle-collect='*compile_probe*'`):
/// loading and compiling every rule of one syntax on this thread (no background thread).
#[test]
#[ignore]
fn compile_probe() {
    let syntax = match std::env::var("SYNTAX").as_deref() {
        Ok("cii") => Syntax::Cii,
        _ => Syntax::Ubl,
    };
    let t = std::time::Instant::now();
    let rs = RuleSet::load(syntax).unwrap();
    let loaded = t.elapsed();
    rs.compile_all().unwrap();
    eprintln!(
        "{syntax}: load {loaded:?}, load and compile {:?}",
        t.elapsed()
    );
}

/// `data/rules/compiled/*.bin` is what compiling the embedded `rules.tsv` gives (run with
/// `EGOV_WRITE_COMPILED_RULES=1` to rewrite the files after changing the rules or the compiler).
#[test]
fn compiled_rules_are_current() {
    let write = std::env::var_os("EGOV_WRITE_COMPILED_RULES").is_some();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/rules/compiled");
    for syntax in [Syntax::Ubl, Syntax::Cii] {
        let fresh = RuleSet::load_from_text(syntax)
            .unwrap()
            .to_compiled_form()
            .unwrap();
        let file = format!("{syntax}.bin");
        if write {
            std::fs::write(dir.join(&file), &fresh).unwrap();
            println!("wrote data/rules/compiled/{file} ({} bytes)", fresh.len());
        } else {
            assert!(
                fresh == RuleSet::shipped_compiled_form(syntax),
                "data/rules/compiled/{file} is stale: run `EGOV_WRITE_COMPILED_RULES=1 cargo \
                 test -p egov-xrechnung --test xrechnung compiled_rules_are_current`"
            );
        }
        if !write {
            // the shipped form, loaded, writes the same bytes again
            let loaded = RuleSet::load(syntax).unwrap().to_compiled_form().unwrap();
            assert!(loaded == fresh, "{syntax}: loaded form differs");
        }
    }
}

/// Rules loaded from the compiled form find exactly what rules compiled from the text find.
#[test]
fn compiled_rules_find_what_the_text_finds() {
    let Some(shared) = shared_dir("rules::compiled_rules_find_what_the_text_finds") else {
        return;
    };
    let text = [
        RuleSet::load_from_text(Syntax::Ubl).unwrap(),
        RuleSet::load_from_text(Syntax::Cii).unwrap(),
    ];
    let mut n = 0;
    for (p, doc, syntax) in testsuite_documents(&shared) {
        let shipped = RuleSet::for_syntax(syntax).unwrap();
        let from_text = &text[usize::from(syntax == Syntax::Cii)];
        let names: Vec<&str> = shipped.schemas().iter().map(|s| s.name()).collect();
        let a: Vec<_> = shipped.run(&doc, &names).unwrap().iter().map(key).collect();
        let b: Vec<_> = from_text
            .run(&doc, &names)
            .unwrap()
            .iter()
            .map(key)
            .collect();
        assert_eq!(a, b, "{}", p.display());
        n += 1;
    }
    assert!(n >= 80, "{n} testsuite invoices");
}

/// Each KoSIT testsuite invoice: its path, the parsed document and its syntax.
fn testsuite_documents(shared: &Path) -> Vec<(std::path::PathBuf, Document, Syntax)> {
    crate::common::xml_files(&shared.join("testdata/xrechnung/xrechnung-testsuite"))
        .into_iter()
        .map(|p| {
            let doc = Document::parse(&std::fs::read(&p).unwrap(), &invoice_limits()).unwrap();
            let syntax = Syntax::detect(doc.root_element()).unwrap();
            (p, doc, syntax)
        })
        .collect()
}

/// What two runs are compared on: id, location path and message of each finding, in order.
fn key(f: &Finding) -> (String, String, String) {
    (f.id.clone(), f.location.path.clone(), f.message.clone())
}

/// The first run of a rule set runs its later schematron steps on a second thread: it finds
/// exactly what later (sequential) runs find, in the same order.
#[test]
fn first_run_on_two_threads_finds_what_later_runs_find() {
    let Some(shared) = shared_dir("rules::first_run_on_two_threads_finds_what_later_runs_find")
    else {
        return;
    };
    let mut n = 0;
    for (p, doc, syntax) in testsuite_documents(&shared) {
        let fresh = RuleSet::load(syntax).unwrap();
        let names: Vec<&str> = fresh.schemas().iter().map(|s| s.name()).collect();
        assert!(names.len() > 1);
        let first: Vec<_> = fresh.run(&doc, &names).unwrap().iter().map(key).collect();
        let second: Vec<_> = fresh.run(&doc, &names).unwrap().iter().map(key).collect();
        assert_eq!(first, second, "{}", p.display());
        n += 1;
    }
    assert!(n >= 80, "{n} testsuite invoices");
}

/// The plans egov-core makes of common tests answer exactly as its tree walker, and the tests
/// its absence guards skip are true: every file of the test data (incl. the vendors' invoices
/// in `blind/` and the mutants, which raise processing errors) gets the identical report —
/// findings, messages, locations — with and without them.
#[test]
fn plans_and_guards_change_no_report() {
    let Some(shared) = shared_dir("rules::plans_and_guards_change_no_report") else {
        return;
    };
    let files = crate::common::xml_files(&shared.join("testdata/xrechnung"));
    let validator = egov_xrechnung::Validator::xrechnung();
    let bytes: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).unwrap()).collect();
    let with: Vec<_> = bytes.iter().map(|b| validator.validate(b)).collect();
    // (process-wide: tests running meanwhile get the same results the slower way)
    egov_core::xpath::use_plans(false);
    let without_plans: Vec<_> = bytes.iter().map(|b| validator.validate(b)).collect();
    egov_core::xpath::use_plans(true);
    egov_core::xpath::use_guards(false);
    let without_guards: Vec<_> = bytes.iter().map(|b| validator.validate(b)).collect();
    egov_core::xpath::use_guards(true);
    let mut same = 0;
    for (((p, a), b), c) in files
        .iter()
        .zip(&with)
        .zip(&without_plans)
        .zip(&without_guards)
    {
        assert_eq!(a, b, "plans: {}", p.display());
        assert_eq!(a, c, "guards: {}", p.display());
        same += 1;
    }
    eprintln!(
        "plans and guards: {same}/{} reports identical with and without",
        files.len()
    );
    assert!(same >= 1200, "{same} files");
}
