//! Helpers shared by the topic modules.
#![allow(dead_code)]
use std::path::{Path, PathBuf};

/// The `../shared` folder beside the repository, when it is there.
///
/// A user's checkout has no `../shared`: the tests that need it then print a clear `SKIPPED`
/// line. In CI (`CI` set) its absence is a failure, so the oracles always run there.
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

/// The round-trip corpus of issue 3: the 86 KoSIT testsuite instances and the EN 16931 UBL and
/// CII examples.
pub fn corpus(shared: &Path) -> Vec<PathBuf> {
    let x = shared.join("testdata/xrechnung");
    let mut files = xml_files(&x.join("xrechnung-testsuite"));
    files.extend(xml_files(&x.join("en16931/ubl/examples")));
    files.extend(xml_files(&x.join("en16931/cii/examples")));
    files
}
