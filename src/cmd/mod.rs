//! Thin adapters from parsed arguments to library calls, one file per command family.

pub mod help;
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
    /// Apply global settings (thread pool size) and capture the terminal state. The worker
    /// threads start here, so a system that cannot create them (a process limit, `--jobs`
    /// too large) gets an error instead of a panic later.
    pub fn new(quiet: bool, jobs: Option<usize>) -> aero_recipe::Result<Self> {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(jobs.map_or(0, |n| n.max(1)));
        if let Err(e) = pool.build_global() {
            let n = jobs.map_or_else(|| "the default number of".to_string(), |n| n.to_string());
            return Err(aero_recipe::Error::invalid(format!(
                "cannot start {n} worker threads: {e}"
            ))
            .with_help("lower --jobs (e.g. --jobs 1), or raise the process limit (ulimit -u)"));
        }
        Ok(Context {
            quiet,
            stderr_is_tty: std::io::stderr().is_terminal(),
        })
    }
}

/// Write `args` to stdout. A reader that went away (`aero-recipe iso ls X | head -1`) ends
/// the command quietly with status 0, as for other Unix tools; any other failure to write
/// (a full disk behind `> file`) is an error, never a panic.
pub fn stdout(args: std::fmt::Arguments) -> aero_recipe::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_fmt(args).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => Err(aero_recipe::Error::io("write to", "standard output", e)),
    }
}

/// `println!` to stdout through [`stdout`]: returns a `Result` instead of panicking.
macro_rules! outln {
    ($($arg:tt)*) => { $crate::cmd::stdout(format_args!("{}\n", format_args!($($arg)*))) };
}

/// `print!` to stdout through [`stdout`].
macro_rules! out {
    ($($arg:tt)*) => { $crate::cmd::stdout(format_args!($($arg)*)) };
}

pub(crate) use {out, outln};

/// An error as JSON for `--json` consumers: the one-line message, every problem, and whether
/// it was a usage error (exit status 2).
pub fn error_json(e: &aero_recipe::Error) -> serde_json::Value {
    let problems: Vec<String> = e.problems().iter().map(|p| p.to_string()).collect();
    serde_json::json!({
        "message": e.to_string(),
        "problems": problems,
        "usage_error": e.is_usage(),
    })
}

/// Print an error on stderr as one block: its line, then each of its problems (with source
/// snippet and help) indented below it, every problem shown, none cut.
pub fn render_error(e: &Error) {
    let handler = if std::io::stderr().is_terminal() {
        miette::GraphicalReportHandler::new()
    } else {
        // Logs and CI: one message per line, never a path split by wrapping.
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .with_wrap_lines(false)
    };
    let render = |d: &dyn miette::Diagnostic| {
        let mut out = String::new();
        if handler.render_report(&mut out, d).is_err() {
            out = d.to_string();
        }
        out
    };
    let problems = e.problems();
    if problems.len() <= 1 {
        eprintln!("error: {}", render(e).trim_start());
        return;
    }
    let mut block = format!("error: {e}\n");
    for p in problems {
        for line in render(p).trim().lines() {
            block.push_str("    ");
            block.push_str(line);
            block.push('\n');
        }
    }
    eprint!("{block}");
}
