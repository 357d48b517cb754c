//! `egov xrechnung show | convert | validate`.
use crate::common::{egov, shared_dir};
use serde_json::Value;

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/invoice-ubl.xml");

fn tmp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("egov-cli-xr-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn show_prints_summary_and_model_json() {
    let out = egov(&["xrechnung", "show", SAMPLE]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("SW-2026-04711") && text.contains("952.00 EUR"),
        "{text}"
    );
    let out = egov(&["xrechnung", "show", "--format", "json", SAMPLE]);
    let model: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(model["invoice_number"], "SW-2026-04711");
    assert!(model.get("file").is_none(), "the model only");
}

#[test]
fn convert_to_cii_and_back_gives_the_same_model() {
    let dir = tmp("convert");
    let cii = dir.join("sample.cii.xml");
    let ubl = dir.join("sample.ubl.xml");
    let out = egov(&[
        "xrechnung",
        "convert",
        "--to",
        "cii",
        SAMPLE,
        "-o",
        cii.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = egov(&[
        "xrechnung",
        "convert",
        "--to",
        "ubl",
        cii.to_str().unwrap(),
        "-o",
        ubl.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let json = |p: &str| egov(&["xrechnung", "show", "--format", "json", p]).stdout;
    assert_eq!(json(SAMPLE), json(ubl.to_str().unwrap()));
    let garbage = dir.join("garbage.xml");
    std::fs::write(&garbage, "<not-an-invoice/>").unwrap();
    let out = egov(&[
        "xrechnung",
        "convert",
        "--to",
        "ubl",
        garbage.to_str().unwrap(),
        "-o",
        ubl.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an EN 16931 invoice"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn validate_writes_json_lines_text_and_html() {
    let dir = tmp("validate");
    let broken = dir.join("broken.XML");
    let sample = std::fs::read_to_string(SAMPLE).unwrap();
    std::fs::write(
        &broken,
        sample.replace("952.00</cbc:PayableAmount>", "925.00</cbc:PayableAmount>"),
    )
    .unwrap();
    let out = egov(&["xrechnung", "validate", "--format", "json", SAMPLE]);
    assert_eq!(out.status.code(), Some(0));
    let line: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(line["valid"], true);
    assert_eq!(line["syntax"], "ubl");
    assert_eq!(line["scenario"], "EN16931 XRechnung (UBL Invoice)");
    for key in ["file", "fatal", "warning", "information"] {
        assert!(line.get(key).is_some(), "{key}");
    }
    // A directory is walked for *.xml in any case of the extension.
    let out = egov(&[
        "xrechnung",
        "validate",
        "--format",
        "json",
        "--jobs",
        "2",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let line: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(line["fatal"], serde_json::json!(["BR-CO-16"]));
    let out = egov(&["xrechnung", "validate", broken.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("BR-CO-16"));
    let html_dir = dir.join("html");
    let out = egov(&[
        "xrechnung",
        "validate",
        "--format",
        "html",
        "--out",
        html_dir.to_str().unwrap(),
        SAMPLE,
        broken.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let page = std::fs::read_to_string(html_dir.join("broken.html")).unwrap();
    assert!(page.contains("BR-CO-16") && page.contains("Ungültig"));
    assert!(html_dir.join("invoice-ubl.html").exists());
    let missing = dir.join("missing.xml");
    assert_eq!(
        egov(&["xrechnung", "validate", missing.to_str().unwrap()])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(egov(&["xrechnung", "validate"]).status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn validate_the_testsuite_directory() {
    let Some(shared) = shared_dir("validate_the_testsuite_directory") else {
        return;
    };
    let dir = shared.join("testdata/xrechnung/xrechnung-testsuite");
    let out = egov(&[
        "xrechnung",
        "validate",
        "--format",
        "json",
        dir.to_str().unwrap(),
    ]);
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 86);
    assert!(lines.iter().all(|l| l["valid"] == true), "{lines:?}");
    assert_eq!(out.status.code(), Some(0));
}
