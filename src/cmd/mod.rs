//! Thin adapters from parsed arguments to library calls, one file per command family.

pub mod inf;
pub mod iso;
pub mod recipe;
pub mod verify;

use std::io::IsTerminal;

use aero_recipe::Error;

/// Settings shared by every command.
pub struct Context {
    /// `--quiet`: only errors on stderr.
    pub quiet: bool,
    /// Whether stderr is a terminal (progress bars only then).
    pub stderr_is_tty: bool,
}

impl Context {
    /// Apply global settings (thread pool size) and capture the terminal state.
    pub fn new(quiet: bool, jobs: Option<usize>) -> Self {
        if let Some(n) = jobs {
            // Only fails if a global pool already exists, which cannot happen this early.
            let _ = rayon::ThreadPoolBuilder::new()
                .num_threads(n.max(1))
                .build_global();
        }
        Context {
            quiet,
            stderr_is_tty: std::io::stderr().is_terminal(),
        }
    }
}

/// Print an error with its source snippet, help and related problems on stderr.
pub fn render_error(e: &Error) {
    let handler = if std::io::stderr().is_terminal() {
        miette::GraphicalReportHandler::new()
    } else {
        // Logs and CI: one message per line, never a path split by wrapping.
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .with_wrap_lines(false)
    };
    let mut out = String::new();
    if handler.render_report(&mut out, e).is_err() {
        out = e.to_string();
    }
    eprintln!("error: {}", out.trim_start());
}
