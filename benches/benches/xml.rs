//! Parse throughput of egov-core's XML layer (MB/s): a 12 KB invoice, a ~1 MB document, and the
//! 86 invoices of the KoSIT testsuite when ../shared is present.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use egov_benches::{invoice_of_size, shared_dir};
use egov_core::xml::{Document, Limits};

fn parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("xml_parse");
    let limits = Limits::large();
    for (name, size) in [("invoice_12k", 12 * 1024), ("document_1m", 1024 * 1024)] {
        let doc = invoice_of_size(size);
        group.throughput(Throughput::Bytes(doc.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), &doc, |b, doc| {
            b.iter(|| Document::parse(doc.as_bytes(), &limits).unwrap())
        });
    }
    if let Some(shared) = shared_dir() {
        let dir = shared.join("testdata/xrechnung/xrechnung-testsuite/src/test");
        let mut files = Vec::new();
        let mut stack = vec![dir];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "xml") {
                    files.push(std::fs::read(&p).unwrap());
                }
            }
        }
        let total: usize = files.iter().map(Vec::len).sum();
        group.throughput(Throughput::Bytes(total as u64));
        group.bench_function("testsuite_86", |b| {
            b.iter(|| {
                for f in &files {
                    Document::parse(f, &limits).unwrap();
                }
            })
        });
    } else {
        eprintln!("SKIPPED testsuite_86: ../shared not found");
    }
    group.finish();
}

fn hostile(c: &mut Criterion) {
    let mut group = c.benchmark_group("xml_reject");
    let limits = Limits::default();
    let mut wide = String::from("<a");
    for i in 0..50_000 {
        wide.push_str(&format!(" a{i}='x'"));
    }
    wide.push_str("/>");
    let deep = "<a>".repeat(10_000) + &"</a>".repeat(10_000);
    let huge = format!("<a>{}</a>", "x".repeat(1536 * 1024));
    for (name, doc) in [
        ("attrs_50k", wide),
        ("depth_10k", deep),
        ("body_1_5mib", huge),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| Document::parse(doc.as_bytes(), &limits).unwrap_err())
        });
    }
    group.finish();
}

criterion_group!(benches, parse, hostile);
criterion_main!(benches);
