//! The whole validation (parse, scenario, XSD, CEN and XRechnung rules, report) of the 86 KoSIT
//! testsuite invoices, against parsing the same bytes with egov-core alone.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::time::Instant;

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
    per_invoice(&corpus, &validator);
}

/// Per-invoice figures criterion does not give: for each invoice the median of 31 timed
/// validations and parses, then the median, 90th percentile and maximum over the corpus.
fn per_invoice(corpus: &[Vec<u8>], validator: &Validator) {
    const ROUNDS: usize = 31;
    let limits = invoice_limits();
    let time = |f: &dyn Fn()| {
        let mut t: Vec<f64> = (0..ROUNDS)
            .map(|_| {
                let start = Instant::now();
                f();
                start.elapsed().as_secs_f64() * 1e6
            })
            .collect();
        t.sort_by(f64::total_cmp);
        t[ROUNDS / 2]
    };
    let mut parse = Vec::new();
    let mut validate = Vec::new();
    for f in corpus {
        parse.push(time(&|| {
            black_box(Document::parse(f, &limits).unwrap());
        }));
        validate.push(time(&|| {
            black_box(validator.validate(f));
        }));
    }
    let ratio = validate.iter().sum::<f64>() / parse.iter().sum::<f64>();
    let stats = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
        format!(
            "median {:.1} µs, p90 {:.1} µs, max {:.1} µs",
            at(0.5),
            at(0.9),
            at(1.0)
        )
    };
    eprintln!("per invoice, parse only: {}", stats(&mut parse));
    eprintln!("per invoice, validation: {}", stats(&mut validate));
    eprintln!("validation / parse-only over the corpus: {ratio:.2}x");
}

criterion_group!(benches, validate);
criterion_main!(benches);
