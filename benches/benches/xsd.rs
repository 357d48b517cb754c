//! The XML Schema step: validating the 86 KoSIT testsuite invoices (UBL and CII) against their
//! XSD, against parsing the same bytes (the floor); and making each schema set ready: compiling
//! it from the XSD text vs loading its compact compiled form (what `egov_xrechnung::schema` does).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use egov_benches::{testsuite, SAMPLE_INVOICE};
use egov_core::xml::{Document, Limits};
use egov_core::xsd::SchemaSet;
use egov_xrechnung::schema;

fn corpus() -> Vec<Vec<u8>> {
    testsuite().unwrap_or_else(|| {
        eprintln!("../shared not found: benchmarking the demo sample invoice only");
        vec![SAMPLE_INVOICE.as_bytes().to_vec()]
    })
}

fn best_of(runs: u32, mut f: impl FnMut()) -> Duration {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap()
}

fn validate(c: &mut Criterion) {
    let files = corpus();
    let limits = Limits::large();
    let docs: Vec<Document> = files
        .iter()
        .map(|f| Document::parse(f, &limits).unwrap())
        .collect();
    let sets: Vec<&SchemaSet> = docs
        .iter()
        .map(|d| schema::for_document(d).unwrap().unwrap())
        .collect();
    for (d, s) in docs.iter().zip(&sets) {
        assert!(
            s.validate(d).is_empty(),
            "testsuite invoices are schema-valid"
        );
    }
    // The headline number, printed once: validation time relative to parse time.
    let parse = best_of(20, || {
        for f in &files {
            Document::parse(f, &limits).unwrap();
        }
    });
    let val = best_of(20, || {
        for (d, s) in docs.iter().zip(&sets) {
            assert!(s.is_valid(d));
        }
    });
    eprintln!(
        "xsd: {} invoices, parse {:.1} µs/invoice, schema validation {:.1} µs/invoice, ratio {:.2}",
        files.len(),
        parse.as_secs_f64() * 1e6 / files.len() as f64,
        val.as_secs_f64() * 1e6 / files.len() as f64,
        val.as_secs_f64() / parse.as_secs_f64()
    );

    let mut group = c.benchmark_group("xsd_validate");
    group.bench_function("parse_only", |b| {
        b.iter(|| {
            for f in &files {
                Document::parse(f, &limits).unwrap();
            }
        })
    });
    group.bench_function("validate_only", |b| {
        b.iter(|| {
            for (d, s) in docs.iter().zip(&sets) {
                s.validate(d);
            }
        })
    });
    group.bench_function("parse_and_validate", |b| {
        b.iter(|| {
            for f in &files {
                let d = Document::parse(f, &limits).unwrap();
                schema::for_document(&d).unwrap().unwrap().validate(&d);
            }
        })
    });
    group.finish();
}

fn ready(c: &mut Criterion) {
    let mut group = c.benchmark_group("xsd_schema_set");
    for (entry, file, bytes) in schema::compiled_forms() {
        group.bench_with_input(BenchmarkId::new("compile_xsd", file), entry, |b, e| {
            b.iter(|| schema::compile(e).unwrap())
        });
        group.bench_with_input(
            BenchmarkId::new("load_compiled", file),
            bytes,
            |b, bytes| b.iter(|| SchemaSet::from_bytes(bytes).unwrap()),
        );
    }
    group.finish();
}

criterion_group!(benches, validate, ready);
criterion_main!(benches);
