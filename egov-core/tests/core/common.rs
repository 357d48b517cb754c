//! Helpers shared by the topic modules.
use std::path::PathBuf;

/// The `../shared` folder beside the repository, when it is there.
///
/// A user's checkout has no `../shared`: the tests that need it then print a clear
/// `SKIPPED` line. In CI (`CI` set) its absence is a failure, so the oracles always run there.
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
