//! The one error type of the library: what went wrong, where, and what to do about it.
//!
//! Every error renders as a single line through `Display` (that line is what a Rhai recipe
//! sees and what `--json` reports), and carries richer detail for the CLI through
//! [`miette::Diagnostic`]: a source snippet for errors located in an input file, a help text,
//! and the list of problems for aggregated validation failures.

use std::path::{Path, PathBuf};

use miette::{Diagnostic, NamedSource, SourceSpan};

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A problem at a known position inside an input file, with the text for a snippet.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{}:{line}:{column}: {message}", path.display())]
pub struct Located {
    /// File the problem is in.
    pub path: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// The file's text, for the snippet.
    #[source_code]
    pub src: NamedSource<String>,
    /// Where in `src` the problem is.
    #[label("here")]
    pub span: SourceSpan,
    /// What to do about it.
    #[help]
    pub help: Option<String>,
}

/// A failure inside a recipe: where in the recipe, and the Rust error behind it.
#[derive(Debug, thiserror::Error)]
#[error("{location}: {message}")]
pub struct RecipeError {
    /// `recipe-file:line:column` of the failing call (outermost recipe frame).
    pub location: String,
    /// The cause in one line, with the call chain when the failure was inside a module.
    pub message: String,
    /// The Rust error behind it.
    pub cause: Error,
}

// The cause's snippet, labels, help and related problems are the useful detail: show them
// under the recipe location rather than repeating the cause as a second report.
impl Diagnostic for RecipeError {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.cause.code()
    }
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.cause.help()
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.cause.source_code()
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        self.cause.labels()
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        self.cause.related()
    }
}

/// Everything that can go wrong in aero-recipe.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum Error {
    /// An operation on a named file or directory failed at the OS level.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What we tried to do ("read", "create", "rename", ...).
        action: &'static str,
        /// The path the operation was about.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },

    /// A problem at a known position inside an input file (JSON field, INF line).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Located(Box<Located>),

    /// An input is invalid in a way that has no single position (missing file, bad value).
    #[error("{message}")]
    Invalid {
        /// What is wrong, naming the file/field/value concerned.
        message: String,
        /// What to do about it.
        #[help]
        help: Option<String>,
    },

    /// Several problems found in one pass (validation reports every problem, not the first).
    #[error("{summary}: {}", first_line(problems))]
    Many {
        /// One sentence, e.g. "driver validation found 3 errors".
        summary: String,
        /// Each problem on its own.
        #[related]
        problems: Vec<Error>,
    },

    /// A recipe failed: the recipe line that made the failing call, and the underlying cause
    /// (whose own diagnostic, e.g. the INF line or JSON field, is shown with it).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Recipe(Box<RecipeError>),

    /// The run was interrupted (Ctrl-C); nothing was committed.
    #[error("interrupted: no output was written")]
    Interrupted,
}

fn first_line(problems: &[Error]) -> String {
    match problems {
        [] => String::new(),
        [one] => one.to_string(),
        [one, rest @ ..] => format!("{one} (and {} more)", rest.len()),
    }
}

impl Error {
    /// An I/O error about `path`.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// An invalid-input error without a position.
    pub fn invalid(message: impl Into<String>) -> Self {
        Error::Invalid {
            message: message.into(),
            help: None,
        }
    }

    /// An error at byte `offset` (length `len`) of `text`, the content of `path`.
    /// Line and column are computed from the offset (1-based, columns in characters).
    pub fn at(
        path: &Path,
        text: &str,
        offset: usize,
        len: usize,
        message: impl Into<String>,
    ) -> Self {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        let len = len.min(text.len() - offset);
        Error::Located(Box::new(Located {
            path: path.to_path_buf(),
            line,
            column,
            message: message.into(),
            src: NamedSource::new(path.display().to_string(), text.to_string()),
            span: (offset, len).into(),
            help: None,
        }))
    }

    /// An error at a 1-based `line`/`column` of `text` (for parsers that report lines).
    pub fn at_line(
        path: &Path,
        text: &str,
        line: usize,
        column: usize,
        message: impl Into<String>,
    ) -> Self {
        let mut offset = 0;
        for (i, l) in text.split_inclusive('\n').enumerate() {
            if i + 1 == line {
                offset += l
                    .char_indices()
                    .nth(column.saturating_sub(1))
                    .map_or(0, |(b, _)| b);
                break;
            }
            offset += l.len();
        }
        let mut e = Error::at(path, text, offset, 1, message);
        if let Error::Located(loc) = &mut e {
            loc.line = line;
            loc.column = column;
        }
        e
    }

    /// Aggregate several problems into one error; a single problem is returned as itself.
    pub fn many(summary: impl Into<String>, mut problems: Vec<Error>) -> Self {
        if problems.len() == 1 {
            return problems.remove(0);
        }
        Error::Many {
            summary: summary.into(),
            problems,
        }
    }

    /// Attach a help text (what the user should do).
    pub fn with_help(mut self, text: impl Into<String>) -> Self {
        match &mut self {
            Error::Located(loc) => loc.help = Some(text.into()),
            Error::Invalid { help, .. } => *help = Some(text.into()),
            _ => {}
        }
        self
    }

    /// Prefix the message with context (e.g. "while reading spec X").
    pub fn context(self, what: impl std::fmt::Display) -> Self {
        match self {
            Error::Invalid { message, help } => Error::Invalid {
                message: format!("{what}: {message}"),
                help,
            },
            Error::Many { summary, problems } => Error::Many {
                summary: format!("{what}: {summary}"),
                problems,
            },
            other => other,
        }
    }

    /// Every individual problem (flattening aggregates), for reports and `--json`.
    pub fn problems(&self) -> Vec<&Error> {
        match self {
            Error::Many { problems, .. } => problems.iter().flat_map(|p| p.problems()).collect(),
            Error::Recipe(r) => r.cause.problems(),
            other => vec![other],
        }
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Shorthand for `Err(Error::invalid(format!(...)))`.
#[macro_export]
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err($crate::error::Error::invalid(format!($($arg)*)))
    };
}

/// Extension to turn `std::io::Result` into [`Result`] naming the path.
pub trait IoContext<T> {
    /// Map an I/O error to [`Error::Io`] with `action` and `path`.
    fn with_path(self, action: &'static str, path: &Path) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn with_path(self, action: &'static str, path: &Path) -> Result<T> {
        self.map_err(|e| Error::io(action, path, e))
    }
}

/// `s` with control characters escaped (`\n`, `\u{1b}`, ...), everything else as is: input
/// text (a media path, a hardware ID) quoted in a message keeps the message on one line.
pub fn printable(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn located_error_names_file_line_and_column() {
        let text = "{\n  \"a\": 1,\n  \"bogus\": 2\n}\n";
        let off = text.find("\"bogus\"").unwrap();
        let e = Error::at(
            Path::new("spec.json"),
            text,
            off,
            7,
            "unknown field `bogus`",
        );
        assert_eq!(e.to_string(), "spec.json:3:3: unknown field `bogus`");
        let e = Error::at_line(Path::new("x.inf"), "a\nbcd\n", 2, 3, "bad");
        assert_eq!(e.to_string(), "x.inf:2:3: bad");
    }

    #[test]
    fn many_flattens_and_summarises() {
        let e = Error::many(
            "2 problems",
            vec![Error::invalid("one"), Error::invalid("two")],
        );
        assert_eq!(e.to_string(), "2 problems: one (and 1 more)");
        assert_eq!(e.problems().len(), 2);
        assert_eq!(
            Error::many("x", vec![Error::invalid("only")]).to_string(),
            "only"
        );
    }
}
