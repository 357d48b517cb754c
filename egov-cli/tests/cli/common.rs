//! Helpers shared by the topic modules.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `../shared` folder beside the repository; `None` (with a printed SKIPPED line) when a
/// user's checkout has none. In CI (`CI` set) its absence is a failure.
pub fn shared_dir(test: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var_os("CI").is_some() {
        panic!("{test}: ../shared is missing, but CI must run the oracle tests");
    }
    eprintln!("SKIPPED {test}: ../shared not found beside the repository (test data and oracles live there)");
    None
}

/// Runs `egov` with these arguments.
pub fn egov(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_egov"))
        .args(args)
        .output()
        .unwrap()
}

/// All `*.xml` files (any case of the extension) below `dir`, sorted.
pub fn xml_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("xml"))
            {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}
