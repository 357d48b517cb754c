//! Fuzzes egov-core's XML parser: no input may panic, and every accepted document must be
//! navigable end to end (paths, positions, text of every node).
#![no_main]

use egov_core::xml::{Document, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_bytes: 64 * 1024,
        max_depth: 64,
        max_elements: 10_000,
        max_attributes: 64,
        max_text_len: 16 * 1024,
    };
    if let Ok(doc) = Document::parse(data, &limits) {
        for node in doc.nodes() {
            let _ = node.path();
            let _ = node.position();
            let _ = node.text();
            let _ = node.in_scope_namespaces();
            for a in node.attributes() {
                let _ = (a.path(), a.position(), a.value());
            }
        }
    }
});
