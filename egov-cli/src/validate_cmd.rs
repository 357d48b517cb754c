//! `egov xrechnung validate`: batch validation in parallel, with JSON lines, text or HTML reports.

use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use egov_xrechnung::report::Report;
use egov_xrechnung::Validator;
use rayon::prelude::*;
use serde_json::json;

/// Output of `validate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// A verdict line per file plus its findings.
    Text,
    /// One JSON object per file per line.
    Json,
    /// One self-contained HTML report per file (into --out DIR, or to stdout for a single file).
    Html,
}

/// Arguments of `egov xrechnung validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    format: ReportFormat,
    /// Directory for the reports of --format html (one `<name>.html` per input).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Parallel jobs [default: one per core].
    #[arg(long)]
    jobs: Option<usize>,
    /// Files, or directories walked for *.xml.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
}

/// The outcome for one input.
enum Outcome {
    Report(Box<Report>),
    Io(std::io::Error),
}

/// Runs the command.
pub fn run(args: &ValidateArgs) -> ExitCode {
    let files = match collect_inputs(&args.inputs) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("egov: {e}");
            return ExitCode::from(2);
        }
    };
    if args.format == ReportFormat::Html && args.out.is_none() && files.len() != 1 {
        eprintln!("egov: --format html needs --out DIR for more than one file");
        return ExitCode::from(2);
    }
    let pool = match rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.unwrap_or(0))
        .build()
    {
        Ok(p) => p,
        Err(e) => {
            eprintln!("egov: {e}");
            return ExitCode::from(2);
        }
    };
    let validator = Validator::xrechnung();
    let progress = progress_bar(files.len());
    let outcomes: Vec<Outcome> = pool.install(|| {
        files
            .par_iter()
            .map(|f| {
                let outcome = match std::fs::read(f) {
                    Ok(bytes) => Outcome::Report(Box::new(validator.validate(&bytes))),
                    Err(e) => Outcome::Io(e),
                };
                if let Some(p) = &progress {
                    p.inc(1);
                }
                outcome
            })
            .collect()
    });
    if let Some(p) = progress {
        p.finish_and_clear();
    }
    emit(args, &files, &outcomes)
}

fn progress_bar(count: usize) -> Option<indicatif::ProgressBar> {
    (count > 1 && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(count as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} invoices validated ({per_sec}, eta {eta})",
        ) {
            bar.set_style(style);
        }
        bar
    })
}

/// Files as given, and `*.xml` (any case) found below directories, sorted per directory.
fn collect_inputs(inputs: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let mut found = Vec::new();
            walk(input, &mut found)?;
            found.sort();
            out.extend(found);
        } else {
            out.push(input.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("xml"))
        {
            out.push(path);
        }
    }
    Ok(())
}

fn emit(args: &ValidateArgs, files: &[PathBuf], outcomes: &[Outcome]) -> ExitCode {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut worst = 0u8;
    let mut used_names = HashSet::new();
    for (file, outcome) in files.iter().zip(outcomes) {
        let name = file.display().to_string();
        let report = match outcome {
            Outcome::Report(r) => r,
            Outcome::Io(e) => {
                eprintln!("egov: {name}: {e}");
                worst = 2;
                continue;
            }
        };
        if !report.valid {
            worst = worst.max(1);
        }
        let written = match args.format {
            ReportFormat::Json => writeln!(out, "{}", json_line(&name, report)),
            ReportFormat::Text => write!(out, "{}", text(&name, report)),
            ReportFormat::Html => {
                let html = egov_xrechnung::html::render(report, &name);
                match &args.out {
                    None => write!(out, "{html}"),
                    Some(dir) => write_html(dir, file, &html, &mut used_names)
                        .and_then(|p| writeln!(out, "{name}: {}", p.display())),
                }
            }
        };
        if let Err(e) = written {
            eprintln!("egov: {e}");
            return ExitCode::from(2);
        }
    }
    ExitCode::from(worst)
}

/// The line of `--format json`.
fn json_line(file: &str, r: &Report) -> String {
    json!({
        "file": file,
        "syntax": r.syntax.map(|s| s.as_str()),
        "scenario": r.scenario,
        "valid": r.valid,
        "fatal": r.fatal,
        "warning": r.warning,
        "information": r.information,
    })
    .to_string()
}

fn text(file: &str, r: &Report) -> String {
    let mut s = format!(
        "{file}: {} ({})\n",
        if r.valid { "valid" } else { "INVALID" },
        r.scenario.as_deref().unwrap_or("no scenario")
    );
    for f in &r.findings {
        let at = f
            .location
            .as_ref()
            .map(|l| format!(" [line {}]", l.line))
            .unwrap_or_default();
        s.push_str(&format!(
            "  {:<11} {}{at}: {}\n",
            f.flag.as_str(),
            f.id,
            f.message
        ));
    }
    s
}

/// Writes `<dir>/<stem>.html`, adding `-2`, `-3` … when two inputs share a name.
fn write_html(
    dir: &Path,
    input: &Path,
    html: &str,
    used: &mut HashSet<PathBuf>,
) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let stem = input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report".into());
    let mut path = dir.join(format!("{stem}.html"));
    let mut n = 2;
    while !used.insert(path.clone()) {
        path = dir.join(format!("{stem}-{n}.html"));
        n += 1;
    }
    std::fs::write(&path, html)?;
    Ok(path)
}
