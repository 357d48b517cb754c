//! The whole validation (parse, scenario, XSD, CEN and XRechnung rules, report) of the 86 KoSIT
//! testsuite invoices, against parsing the same bytes with egov-core alone.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{criterion_group, criterion_main, Criterion};
use egov_benches::{testsuite, SAMPLE_INVOICE};
use egov_core::xml::Document;
use egov_xrechnung::{invoice_limits, Validator};

fn validate(c: &mut Criterion) {
    let corpus = testsuite().unwrap_or_else(|| {
        eprintln!("../shared not found: benchmarking the demo sample invoice only");
        vec![SAMPLE_INVOICE.as_bytes().to_vec()]
    });
    let validator = Validator::xrechnung();
    validator.warm_up().unwrap();
    let limits = invoice_limits();
    let mut group = c.benchmark_group("xrechnung_validate");
    group.bench_function("parse_only", |b| {
        b.iter(|| {
            for f in &corpus {
                Document::parse(f, &limits).unwrap();
            }
        })
    });
    group.bench_function("validate", |b| {
        b.iter(|| {
            corpus
                .iter()
                .filter(|f| validator.validate(f).valid)
                .count()
        })
    });
    group.finish();
    eprintln!(
        "corpus: {} invoices (divide the times above by this for µs/invoice)",
        corpus.len()
    );
}

criterion_group!(benches, validate);
criterion_main!(benches);
