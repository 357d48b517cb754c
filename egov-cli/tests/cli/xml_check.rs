//! `egov xml check`: accepts the XRechnung testsuite, rejects the hostile auth vectors with the
//! matching kind, exit codes 0/1/2.
use crate::common::{egov, shared_dir, xml_files};
use serde_json::Value;

fn json_lines(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn accepts_every_testsuite_instance() {
    let Some(shared) = shared_dir("accepts_every_testsuite_instance") else {
        return;
    };
    let files = xml_files(&shared.join("testdata/xrechnung/xrechnung-testsuite"));
    assert!(files.len() >= 86);
    let mut args = vec!["xml", "check", "--format", "json"];
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    args.extend(names.iter().map(String::as_str));
    let out = egov(&args);
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), files.len());
    for (line, name) in lines.iter().zip(&names) {
        assert_eq!(line["file"], name.as_str());
        assert_eq!(line["ok"], true, "{line}");
        assert!(line["error"].is_null());
    }
    assert_eq!(out.status.code(), Some(0));
    println!("xml check: {} testsuite instances accepted", lines.len());
}

#[test]
fn rejects_hostile_vectors_with_the_matching_kind() {
    let Some(shared) = shared_dir("rejects_hostile_vectors_with_the_matching_kind") else {
        return;
    };
    let expected = [
        ("dtd", "dtd_forbidden"),
        ("xxe", "dtd_forbidden"),
        ("billion_laughs", "dtd_forbidden"),
        ("huge", "too_large"),
        ("wide", "too_many_elements"),
        ("deep", "too_deep"),
    ];
    let dir = shared.join("testdata/auth/generated");
    let mut checked = 0;
    for file in xml_files(&dir) {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let Some((_, kind)) = expected.iter().find(|(k, _)| name.contains(k)) else {
            continue;
        };
        let out = egov(&["xml", "check", "--format", "json", file.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{name}");
        let line = &json_lines(&out.stdout)[0];
        assert_eq!(line["ok"], false);
        assert_eq!(line["error"]["kind"], *kind, "{name}: {line}");
        assert!(line["error"]["line"].as_u64().unwrap() >= 1);
        assert!(line["error"]["column"].as_u64().unwrap() >= 1);
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} hostile vectors found");
    println!("xml check: {checked} hostile vectors rejected with the matching kind");
}

#[test]
fn exit_codes_and_limits() {
    let dir = std::env::temp_dir().join(format!("egov-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.xml");
    std::fs::write(&good, "<a><b><c/></b></a>").unwrap();
    let good = good.to_str().unwrap();
    assert_eq!(egov(&["xml", "check", good]).status.code(), Some(0));
    let out = egov(&["xml", "check", "--max-depth", "2", "--format", "json", good]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json_lines(&out.stdout)[0]["error"]["kind"], "too_deep");
    let out = egov(&["xml", "check", "--max-bytes", "5", "--format", "json", good]);
    assert_eq!(json_lines(&out.stdout)[0]["error"]["kind"], "too_large");
    let out = egov(&["xml", "check", "--max-elements", "2", good]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("too_many_elements"));
    let missing = dir.join("missing.xml");
    let out = egov(&["xml", "check", good, missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "I/O error");
    assert_eq!(
        egov(&["xml", "check"]).status.code(),
        Some(2),
        "usage error"
    );
    assert_eq!(
        egov(&["xml", "check", "--format", "yaml", good])
            .status
            .code(),
        Some(2)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
