//! Inputs shared by the egov benchmarks: synthetic documents of a given size, and the
//! `../shared` corpora when they are there.
#![forbid(unsafe_code)]

use std::path::PathBuf;

/// The benchmarks measure with the allocator of the shipped binaries (the CLI and the C ABI
/// library), which every benchmark binary gets by linking this crate.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The sample invoice of the CLI demo (5 KB, two lines).
pub const SAMPLE_INVOICE: &str = include_str!("../../egov-cli/samples/invoice-ubl.xml");

/// A UBL invoice of about `target` bytes: the sample invoice with its last line repeated.
pub fn invoice_of_size(target: usize) -> String {
    let start = SAMPLE_INVOICE.rfind("<cac:InvoiceLine>").unwrap_or(0);
    let end = SAMPLE_INVOICE
        .rfind("</ubl:Invoice>")
        .unwrap_or(SAMPLE_INVOICE.len());
    let head = SAMPLE_INVOICE.get(..end).unwrap_or_default();
    let line = SAMPLE_INVOICE.get(start..end).unwrap_or_default();
    let mut out = String::from(head);
    while out.len() + line.len() < target {
        out.push_str(line);
    }
    out.push_str("</ubl:Invoice>\n");
    out
}

/// `../shared` beside the repository, when present.
pub fn shared_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    dir.is_dir().then_some(dir)
}

/// The bytes of every `*.xml` file below `dir` (sorted by path).
pub fn xml_corpus(dir: &std::path::Path) -> Vec<Vec<u8>> {
    let mut paths = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x.eq_ignore_ascii_case("xml")) {
                paths.push(p);
            }
        }
    }
    paths.sort();
    paths.iter().filter_map(|p| std::fs::read(p).ok()).collect()
}

/// The 86 invoices of the KoSIT XRechnung testsuite, when ../shared is present.
pub fn testsuite() -> Option<Vec<Vec<u8>>> {
    let dir = shared_dir()?.join("testdata/xrechnung/xrechnung-testsuite/src/test");
    Some(xml_corpus(&dir))
}
