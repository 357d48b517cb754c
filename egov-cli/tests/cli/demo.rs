//! `egov demo` runs on the embedded samples alone.
use crate::common::egov;

#[test]
fn demo_runs_every_step() {
    let out = egov(&["demo"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for step in [
        "Step 1",
        "Step 2",
        "Step 3",
        "dtd_forbidden",
        "too_deep",
        "retention ends",
    ] {
        assert!(stdout.contains(step), "missing {step:?} in\n{stdout}");
    }
}

#[test]
fn version_is_printed() {
    let out = egov(&["--version"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("egov "));
}
