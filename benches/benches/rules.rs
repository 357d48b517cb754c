//! The schematron step (scenario selection + CEN EN 16931 + XRechnung rules) over the 86 KoSIT
//! testsuite invoices, against parsing the same bytes with egov-core alone; and the cost of
//! loading a rule set.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{criterion_group, criterion_main, Criterion};
use egov_benches::{testsuite, SAMPLE_INVOICE};
use egov_core::xml::Document;
use egov_xrechnung::rules::{RuleSet, Scenarios};
use egov_xrechnung::{invoice_limits, Syntax};

fn rules(c: &mut Criterion) {
    let corpus = testsuite().unwrap_or_else(|| {
        eprintln!("../shared not found: benchmarking the demo sample invoice only");
        vec![SAMPLE_INVOICE.as_bytes().to_vec()]
    });
    let limits = invoice_limits();
    let scenarios = Scenarios::kosit().unwrap();
    let docs: Vec<Document> = corpus
        .iter()
        .map(|f| Document::parse(f, &limits).unwrap())
        .collect();
    // everything loaded and decoded once (as a long-running validator has)
    egov_xrechnung::Validator::xrechnung().warm_up().unwrap();

    let mut group = c.benchmark_group("rules");
    group.bench_function("parse_only", |b| {
        b.iter(|| {
            for f in &corpus {
                Document::parse(f, &limits).unwrap();
            }
        })
    });
    group.bench_function("schematron", |b| {
        b.iter(|| {
            let mut n = 0;
            for doc in &docs {
                if let Some(s) = scenarios.select(doc).scenario() {
                    n += s.run_schematron(doc).map_or(1, |f| f.len());
                }
            }
            n
        })
    });
    group.bench_function("parse_and_schematron", |b| {
        b.iter(|| {
            let mut n = 0;
            for f in &corpus {
                let doc = Document::parse(f, &limits).unwrap();
                if let Some(s) = scenarios.select(&doc).scenario() {
                    n += s.run_schematron(&doc).map_or(1, |f| f.len());
                }
            }
            n
        })
    });
    group.finish();

    let mut load = c.benchmark_group("rules_load");
    load.sample_size(10);
    load.bench_function("load_ubl_rule_set", |b| {
        b.iter(|| RuleSet::load(Syntax::Ubl).unwrap())
    });
    load.bench_function("load_and_compile_all_ubl", |b| {
        b.iter(|| {
            let rs = RuleSet::load(Syntax::Ubl).unwrap();
            rs.compile_all().unwrap();
            rs
        })
    });
    load.finish();
    eprintln!(
        "corpus: {} invoices (divide the times above by this for µs/invoice)",
        corpus.len()
    );
}

criterion_group!(benches, rules);
criterion_main!(benches);
