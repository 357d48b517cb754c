//! `egov xml check`: parse files under the limits of egov-core's XML layer.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use egov_core::xml::{Document, Limits, XmlError};
use serde_json::json;

use crate::Format;

/// Arguments of `egov xml check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Maximum input size in bytes [default: 1048576].
    #[arg(long)]
    max_bytes: Option<usize>,
    /// Maximum element nesting depth [default: 100].
    #[arg(long)]
    max_depth: Option<usize>,
    /// Maximum number of elements [default: 100000].
    #[arg(long)]
    max_elements: Option<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// The files to check.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

impl CheckArgs {
    fn limits(&self) -> Limits {
        let d = Limits::default();
        Limits {
            max_bytes: self.max_bytes.unwrap_or(d.max_bytes),
            max_depth: self.max_depth.unwrap_or(d.max_depth),
            max_elements: self.max_elements.unwrap_or(d.max_elements),
            ..d
        }
    }
}

/// The result for one file.
enum Outcome {
    Ok,
    Rejected(XmlError),
    Io(std::io::Error),
}

/// Runs the command; exit 0 all accepted, 1 any rejected, 2 any I/O error.
pub fn run(args: &CheckArgs) -> ExitCode {
    let limits = args.limits();
    let mut worst = 0u8;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for file in &args.files {
        let outcome = match read_limited(file, limits.max_bytes) {
            Ok(bytes) => match Document::parse(&bytes, &limits) {
                Ok(_) => Outcome::Ok,
                Err(e) => Outcome::Rejected(e),
            },
            Err(e) => Outcome::Io(e),
        };
        worst = worst.max(match outcome {
            Outcome::Ok => 0,
            Outcome::Rejected(_) => 1,
            Outcome::Io(_) => 2,
        });
        let line = render(&file.display().to_string(), &outcome, args.format);
        if writeln!(out, "{line}").is_err() {
            return ExitCode::from(2);
        }
    }
    ExitCode::from(worst)
}

/// Reads at most `max + 1` bytes: a file over the limit is rejected as `too_large` without
/// reading it whole.
fn read_limited(path: &PathBuf, max: usize) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    let cap = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    file.take(cap).read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn render(file: &str, outcome: &Outcome, format: Format) -> String {
    match (format, outcome) {
        (Format::Text, Outcome::Ok) => format!("{file}: ok"),
        (Format::Text, Outcome::Rejected(e)) => format!("{file}: {e}"),
        (Format::Text, Outcome::Io(e)) => format!("{file}: cannot read: {e}"),
        (Format::Json, Outcome::Ok) => json!({"file": file, "ok": true, "error": null}).to_string(),
        (Format::Json, Outcome::Rejected(e)) => json!({
            "file": file,
            "ok": false,
            "error": {"kind": e.kind().as_str(), "line": e.line(), "column": e.column(), "message": e.message()},
        })
        .to_string(),
        (Format::Json, Outcome::Io(e)) => json!({
            "file": file,
            "ok": false,
            "error": {"kind": "io", "line": 0, "column": 0, "message": e.to_string()},
        })
        .to_string(),
    }
}
