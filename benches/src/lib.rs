//! Inputs shared by the egov benchmarks: synthetic documents of a given size, and the
//! `../shared` corpora when they are there.
#![forbid(unsafe_code)]

use std::path::PathBuf;

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
