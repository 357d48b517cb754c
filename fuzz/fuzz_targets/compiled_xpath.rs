//! Fuzzes the compiled form of expressions, patterns and function libraries
//! (`egov_core::xpath::CompiledReader`): arbitrary bytes may fail to load, but only with an
//! error; what loads is evaluated once against a small document and must not panic. Seed the
//! corpus with `egov-xrechnung/data/rules/compiled/*.bin`.
#![no_main]

use egov_core::xml::Document;
use egov_core::xpath::{CompiledReader, DynamicContext, StaticContext};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = Document::parse_default(b"<a xmlns='urn:a'><b>1</b><b>x</b></a>") else {
        return;
    };
    let ctx = StaticContext::new();
    let Ok(mut r) = CompiledReader::new(data) else {
        return;
    };
    for _ in 0..64 {
        let mut dc = DynamicContext::for_document(&doc);
        match data.len() % 3 {
            0 => match r.xpath("fuzz", &ctx) {
                Ok(x) => {
                    let _ = x.evaluate(&mut dc);
                }
                Err(_) => return,
            },
            1 => match r.pattern("fuzz", &ctx) {
                Ok(p) => {
                    for n in doc.document_node().descendants() {
                        let _ = p.matches(egov_core::xpath::XNode::Node(n), &mut dc);
                    }
                }
                Err(_) => return,
            },
            _ => {
                if r.functions().is_err() || r.block().is_err() {
                    return;
                }
            }
        }
    }
});
