//! Reading invoices into the EN 16931 model: the 86 KoSIT testsuite invoices (UBL and CII), per
//! invoice, against parsing the same bytes with egov-core alone; and writing them back.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{criterion_group, criterion_main, Criterion};
use egov_benches::{testsuite, SAMPLE_INVOICE};
use egov_core::xml::Document;
use egov_xrechnung::{invoice_limits, read_document, write, Syntax};

fn read(c: &mut Criterion) {
    let corpus = testsuite().unwrap_or_else(|| {
        eprintln!("../shared not found: benchmarking the demo sample invoice only");
        vec![SAMPLE_INVOICE.as_bytes().to_vec()]
    });
    let limits = invoice_limits();
    let mut group = c.benchmark_group("xrechnung_read");
    group.bench_function("parse_only", |b| {
        b.iter(|| {
            for f in &corpus {
                Document::parse(f, &limits).unwrap();
            }
        })
    });
    group.bench_function("parse_and_read_model", |b| {
        b.iter(|| {
            for f in &corpus {
                let doc = Document::parse(f, &limits).unwrap();
                read_document(&doc).unwrap();
            }
        })
    });
    let models: Vec<_> = corpus
        .iter()
        .map(|f| egov_xrechnung::read(f).unwrap().invoice)
        .collect();
    group.bench_function("write_ubl", |b| {
        b.iter(|| {
            models
                .iter()
                .map(|m| write(m, Syntax::Ubl).len())
                .sum::<usize>()
        })
    });
    group.bench_function("write_cii", |b| {
        b.iter(|| {
            models
                .iter()
                .map(|m| write(m, Syntax::Cii).len())
                .sum::<usize>()
        })
    });
    group.finish();
    eprintln!(
        "corpus: {} invoices (divide the times above by this for µs/invoice)",
        corpus.len()
    );
}

criterion_group!(benches, read);
criterion_main!(benches);
