//! The baseline for the FFI clients' per-call figures: the same validations timed in Rust, once
//! directly (`Validator::validate` + the report's JSON, which is what the C ABI returns) and once
//! through the extern functions (buffer hand-over and free included).
//!
//! ```sh
//! cargo run --release -p egov-ffi --example overhead
//! ```
//! Environment as for the clients: `EGOV_TESTSUITE_DIR`, `EGOV_FFI_FIXTURES`, `EGOV_FFI_BENCH_N`
//! (default 10000), `EGOV_FFI_BENCH_SECONDS` (default 10). Run from the repository root.

use std::path::PathBuf;
use std::time::Instant;

use egov_ffi::{
    egov_buf_free, egov_xrechnung_validator_free, egov_xrechnung_validator_new,
    egov_xrechnung_validator_validate, EgovBuf, EGOV_OK,
};

fn env_or(name: &str, fallback: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| fallback.to_owned())
}

/// Calls `f` up to `n` times or until `budget` seconds have passed; returns (calls, µs per call).
fn time(n: u64, budget: f64, mut f: impl FnMut()) -> (u64, f64) {
    for _ in 0..20 {
        f();
    }
    let start = Instant::now();
    let mut done = 0;
    while done < n {
        f();
        done += 1;
        if start.elapsed().as_secs_f64() > budget {
            break;
        }
    }
    (
        done,
        start.elapsed().as_secs_f64() * 1e6 / done.max(1) as f64,
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let testsuite = PathBuf::from(env_or(
        "EGOV_TESTSUITE_DIR",
        "../shared/testdata/xrechnung/xrechnung-testsuite/src/test",
    ));
    let fixtures = PathBuf::from(env_or("EGOV_FFI_FIXTURES", "examples/ffi/fixtures"));
    let invoice = testsuite.join("business-cases/standard/01.01a-INVOICE_ubl.xml");
    let (xml, label) = match std::fs::read(&invoice) {
        Ok(xml) => (xml, "01.01a-INVOICE_ubl.xml"),
        Err(_) => (
            std::fs::read(fixtures.join("minimal-ubl.xml"))?,
            "fixture minimal-ubl.xml",
        ),
    };
    let n: u64 = env_or("EGOV_FFI_BENCH_N", "10000").parse()?;
    let budget: f64 = env_or("EGOV_FFI_BENCH_SECONDS", "10").parse()?;

    let validator = egov_xrechnung::Validator::xrechnung();
    let mut handle = std::ptr::null_mut();
    // SAFETY: `handle` is a valid out-pointer.
    if unsafe { egov_xrechnung_validator_new(&mut handle) } != EGOV_OK {
        return Err("egov_xrechnung_validator_new failed".into());
    }
    // The invoice, and the 4-byte document `<a/>`, whose tiny validation shows the per-call cost
    // of the call itself.
    for (label, xml) in [(label, xml.as_slice()), ("<a/>", b"<a/>".as_slice())] {
        let (done, us) = time(n, budget, || {
            let json = validator.validate(xml).to_json();
            std::hint::black_box(json);
        });
        println!(
            "bench: rust: {done} validations of {label} ({} bytes) in Rust (validate + report \
             JSON): {us:.1} \u{b5}s/call",
            xml.len()
        );
        let (done, us) = time(n, budget, || {
            let mut out = EgovBuf::default();
            // SAFETY: live validator, readable input, writable out-parameter.
            let status = unsafe {
                egov_xrechnung_validator_validate(handle, xml.as_ptr(), xml.len(), &mut out)
            };
            if status == EGOV_OK {
                // SAFETY: a buffer from a successful call, freed once.
                unsafe { egov_buf_free(out) };
            }
        });
        println!(
            "bench: rust-abi: {done} validations of {label} ({} bytes) through the extern \
             functions from Rust: {us:.1} \u{b5}s/call",
            xml.len()
        );
    }
    // SAFETY: created above, freed once, no call running.
    unsafe { egov_xrechnung_validator_free(handle) };
    Ok(())
}
