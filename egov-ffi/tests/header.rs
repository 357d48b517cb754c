//! The committed header `include/egov.h` matches the crate:
//! - always: every `#[no_mangle]` function and every `EGOV_…` constant of the source is declared
//!   in the header (and the header declares nothing else); when the built shared library and `nm`
//!   are at hand, its exported `egov_*` symbols are exactly those functions;
//! - when the `cbindgen` binary is installed: regenerating the header gives the committed file
//!   byte for byte (set `EGOV_REQUIRE_CBINDGEN=1` to fail instead of skipping without it).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn header() -> String {
    std::fs::read_to_string(crate_dir().join("include/egov.h")).unwrap()
}

fn rust_sources() -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut dirs = vec![crate_dir().join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                out.push((path, text));
            }
        }
    }
    out.sort();
    out
}

/// Names of the `#[no_mangle]` items of the source; each must be an `extern "C" fn`.
fn exported_functions() -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for (path, text) in rust_sources() {
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if line.trim() != "#[no_mangle]" {
                continue;
            }
            let item = lines
                .iter()
                .skip(i + 1)
                .find(|l| !l.trim().starts_with("#["))
                .unwrap_or_else(|| panic!("{}: #[no_mangle] at the end", path.display()));
            let (_, after) = item.split_once("extern \"C\" fn ").unwrap_or_else(|| {
                panic!(
                    "{}:{}: #[no_mangle] item is not a `pub extern \"C\" fn`: {item}",
                    path.display(),
                    i + 2
                )
            });
            assert!(item.trim_start().starts_with("pub "), "{item}");
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            assert!(
                name.starts_with("egov_"),
                "exported {name} lacks the egov_ prefix"
            );
            assert!(names.insert(name.clone()), "{name} exported twice");
        }
    }
    names
}

/// `pub const EGOV_…` constants of the source with their values as written.
fn exported_constants() -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (_, text) in rust_sources() {
        for line in text.lines() {
            let Some(rest) = line.strip_prefix("pub const EGOV_") else {
                continue;
            };
            let (name, value) = rest.split_once(':').unwrap();
            let value = value
                .split_once('=')
                .unwrap()
                .1
                .trim()
                .trim_end_matches(';');
            out.insert((format!("EGOV_{name}"), value.to_owned()));
        }
    }
    out
}

/// Function names declared in the header (outside comments).
fn declared_functions(header: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for line in header.lines() {
        let t = line.trim_start();
        if t.starts_with('*') || t.starts_with("/*") || t.starts_with("//") || t.starts_with('#') {
            continue;
        }
        for (pos, _) in line.match_indices("egov_") {
            let name: String = line
                .get(pos..)
                .unwrap()
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if line.get(pos + name.len()..).unwrap().starts_with('(') {
                names.insert(name);
            }
        }
    }
    names
}

/// `#define EGOV_… value` lines of the header.
fn declared_constants(header: &str) -> BTreeSet<(String, String)> {
    header
        .lines()
        .filter_map(|l| l.strip_prefix("#define EGOV_"))
        .filter_map(|rest| {
            let (name, value) = rest.split_once(' ')?;
            Some((format!("EGOV_{name}"), value.trim().to_owned()))
        })
        .collect()
}

#[test]
fn every_exported_function_is_declared() {
    let exported = exported_functions();
    assert!(exported.contains("egov_xrechnung_validator_validate"));
    assert!(exported.len() >= 10, "{exported:?}");
    assert_eq!(declared_functions(&header()), exported);
}

#[test]
fn every_constant_is_defined() {
    let constants = exported_constants();
    assert!(constants.contains(&("EGOV_PANIC".to_owned(), "3".to_owned())));
    assert_eq!(declared_constants(&header()), constants);
}

#[test]
fn header_conventions_and_abi_version() {
    let h = header();
    for needle in [
        "APPEND-ONLY",
        "egov_last_error_message",
        "written ONLY on success",
        "EGOV_PANIC",
        "typedef int32_t EgovStatus;",
        "typedef struct EgovXrechnungValidator EgovXrechnungValidator;",
    ] {
        assert!(h.contains(needle), "header lacks {needle:?}");
    }
    let define = format!("#define EGOV_ABI_VERSION {}", egov_ffi::EGOV_ABI_VERSION);
    assert!(h.contains(&define));
    assert_eq!(egov_ffi::egov_abi_version(), egov_ffi::EGOV_ABI_VERSION);
}

/// The shared library next to this test's deps directory, when cargo built it.
fn shared_library() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let profile_dir = exe.parent()?.parent()?;
    ["libegov_ffi.so", "libegov_ffi.dylib"]
        .iter()
        .map(|n| profile_dir.join(n))
        .find(|p| p.is_file())
}

#[test]
fn shared_library_exports_exactly_the_declared_functions() {
    let Some(lib) = shared_library() else {
        eprintln!("SKIPPED: shared library not found next to the test binary");
        return;
    };
    let Ok(out) = Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(&lib)
        .output()
    else {
        eprintln!("SKIPPED: nm not available");
        return;
    };
    assert!(out.status.success(), "nm failed on {}", lib.display());
    let symbols: BTreeSet<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().last())
        .filter(|s| s.starts_with("egov_"))
        .map(str::to_owned)
        .collect();
    assert_eq!(symbols, declared_functions(&header()), "{}", lib.display());
}

fn run_cbindgen(output: &Path) -> Option<std::process::Output> {
    Command::new("cbindgen")
        .current_dir(crate_dir())
        .args([
            "--quiet",
            "--config",
            "cbindgen.toml",
            "--crate",
            "egov-ffi",
            "--output",
        ])
        .arg(output)
        .output()
        .ok()
}

#[test]
fn header_is_what_cbindgen_generates() {
    let output = std::env::temp_dir().join(format!("egov-ffi-header-{}.h", std::process::id()));
    let Some(result) = run_cbindgen(&output) else {
        assert!(
            std::env::var_os("EGOV_REQUIRE_CBINDGEN").is_none(),
            "EGOV_REQUIRE_CBINDGEN is set but cbindgen is not installed"
        );
        eprintln!(
            "SKIPPED: cbindgen not installed (`cargo install cbindgen --locked`); header drift not \
             checked, the symbol checks still ran"
        );
        return;
    };
    assert!(
        result.status.success(),
        "cbindgen failed: {}",
        String::from_utf8_lossy(&result.stderr)
    );
    let generated = std::fs::read_to_string(&output).unwrap();
    let _ = std::fs::remove_file(&output);
    assert!(
        generated == header(),
        "include/egov.h is out of date: in egov-ffi/, run `cbindgen --config cbindgen.toml --crate \
         egov-ffi --output include/egov.h` and commit the result"
    );
}
