//! The one error type of the library: what went wrong, where, and what to do about it.
//!
//! Every error renders as a single line through `Display` (that line is what a Rhai recipe
//! sees and what `--json` reports), and carries richer detail for the CLI through
//! [`miette::Diagnostic`]: a source snippet for errors located in an input file, a help text,
//! and the list of problems for aggregated validation failures.

use std::path::{Path, PathBuf};

use miette::{Diagnostic, MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

/// How many problems of one file an error shows; the rest are only counted, so a hostile input
/// cannot make the report huge.
pub const MAX_PROBLEMS: usize = 20;

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
    /// The lines around the problem, for the snippet.
    #[source_code]
    pub src: Snippet,
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
    #[error("cannot {action} {}: {source}", printable(&path.display().to_string()))]
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

    /// The command line itself is wrong (an unknown recipe or parameter, a malformed `--set`):
    /// the CLI exits 2 for these, as for its own argument errors.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Usage(Box<Error>),
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

    /// An invalid-input error without a position. Control characters other than line
    /// breaks and tabs (an ANSI escape in a file name) are escaped: a message never drives
    /// the terminal it is printed on.
    pub fn invalid(message: impl Into<String>) -> Self {
        let message: String = message.into();
        let message = if message
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            message
                .chars()
                .map(|c| {
                    if c.is_control() && c != '\n' && c != '\t' {
                        c.escape_default().to_string()
                    } else {
                        c.to_string()
                    }
                })
                .collect()
        } else {
            message
        };
        Error::Invalid {
            message,
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
        let (line, column) = line_col(text, offset);
        Error::at_position(path, text, offset, len, (line + 1, column + 1), message)
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
        Error::at_position(path, text, offset, 1, (line, column), message)
    }

    /// An error at byte `offset` (length `len`) of `text` whose 1-based line and column the
    /// caller already knows: nothing before the offset is scanned, so reporting many problems
    /// in a large file stays linear. The error keeps only a few lines around the offset.
    pub fn at_position(
        path: &Path,
        text: &str,
        offset: usize,
        len: usize,
        (line, column): (usize, usize),
        message: impl Into<String>,
    ) -> Self {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let len = len.min(text.len() - offset);
        let name = path.display().to_string();
        Error::Located(Box::new(Located {
            path: path.to_path_buf(),
            line,
            column,
            message: message.into(),
            src: Snippet::around(name, text, offset, len, line, column),
            span: (offset, len).into(),
            help: None,
        }))
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

    /// Aggregate the problems of one file of which `total` were found: at most
    /// [`MAX_PROBLEMS`] are kept, and the summary says how many there were and how many are
    /// shown: `"{summary} ({total} problems; the first 20 are shown)"`.
    pub fn counted(
        summary: impl std::fmt::Display,
        mut problems: Vec<Error>,
        total: usize,
    ) -> Self {
        problems.truncate(MAX_PROBLEMS);
        let total = total.max(problems.len());
        let shown = if total > problems.len() {
            format!("; the first {} are shown", problems.len())
        } else {
            String::new()
        };
        Error::many(format!("{summary} ({total} problems{shown})"), problems)
    }

    /// Mark this error as a mistake on the command line (exit status 2).
    pub fn usage(self) -> Self {
        match self {
            Error::Usage(_) => self,
            other => Error::Usage(Box::new(other)),
        }
    }

    /// Whether the failure is (or contains) a command-line mistake.
    pub fn is_usage(&self) -> bool {
        match self {
            Error::Usage(_) => true,
            Error::Many { problems, .. } => problems.iter().any(Error::is_usage),
            Error::Recipe(r) => r.cause.is_usage(),
            _ => false,
        }
    }

    /// Attach a help text (what the user should do).
    pub fn with_help(mut self, text: impl Into<String>) -> Self {
        match &mut self {
            Error::Located(loc) => loc.help = Some(text.into()),
            Error::Invalid { help, .. } => *help = Some(text.into()),
            Error::Usage(inner) => {
                let e = std::mem::replace(&mut **inner, Error::Interrupted);
                **inner = e.with_help(text);
            }
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
            Error::Usage(inner) => Error::Usage(Box::new(inner.context(what))),
            other => other,
        }
    }

    /// Every individual problem (flattening aggregates), for reports and `--json`.
    pub fn problems(&self) -> Vec<&Error> {
        match self {
            Error::Many { problems, .. } => problems.iter().flat_map(|p| p.problems()).collect(),
            Error::Recipe(r) => r.cause.problems(),
            Error::Usage(inner) => inner.problems(),
            other => vec![other],
        }
    }
}

/// The part of a file an error shows: the line of the problem and its neighbours, each cut to
/// [`Snippet::REACH`] bytes on either side of the problem, never the whole file. Offsets given to
/// it are those of the whole file.
#[derive(Debug)]
pub struct Snippet {
    name: String,
    text: String,
    /// Byte offset of `text` in the file.
    base: usize,
    /// 0-based line of the start of `text`.
    first_line: usize,
    /// 0-based column (in characters) of the start of `text`.
    first_column: usize,
}

impl Snippet {
    /// How far the window reaches before and after the problem, in bytes.
    const REACH: usize = 2048;

    /// The window around `offset..offset + len` of `text`, which is at 1-based `line`/`column`.
    fn around(
        name: String,
        text: &str,
        offset: usize,
        len: usize,
        line: usize,
        column: usize,
    ) -> Snippet {
        // A few line breaks either way, within reach: more than the one line of context shown
        // before and after (a CRLF counts twice here), which does no harm.
        const BREAKS: usize = 5;
        let lo_bound = floor_char_boundary(text, offset.saturating_sub(Self::REACH));
        let mut lo = text[lo_bound..offset]
            .rmatch_indices(['\n', '\r'])
            .nth(BREAKS - 1)
            .map_or(lo_bound, |(i, _)| lo_bound + i + 1);
        if lo < offset && text[..lo].ends_with('\r') && text[lo..].starts_with('\n') {
            lo += 1;
        }
        let mut end = (offset + len).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        let hi_bound = floor_char_boundary(text, (end + Self::REACH).min(text.len()));
        let hi = text[end..hi_bound]
            .match_indices(['\n', '\r'])
            .nth(BREAKS - 1)
            .map_or(hi_bound, |(i, _)| end + i);
        let hi = if hi > end && text[..hi].ends_with('\r') && text[hi..].starts_with('\n') {
            hi - 1
        } else {
            hi
        };
        let window = &text[lo..hi];
        let (lines_in, column_in) = line_col(window, offset - lo);
        let first_column = if lines_in == 0 {
            column.saturating_sub(1).saturating_sub(column_in)
        } else {
            0
        };
        let first_line = line.saturating_sub(1).saturating_sub(lines_in);
        Snippet {
            name,
            text: window.to_string(),
            base: lo,
            first_line,
            first_column,
        }
    }
}

impl SourceCode for Snippet {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> std::result::Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let local = span
            .offset()
            .checked_sub(self.base)
            .filter(|&o| o <= self.text.len())
            .ok_or(MietteError::OutOfBounds)?;
        let len = span.len().min(self.text.len() - local);
        let inner = self.text.as_str().read_span(
            &(local, len).into(),
            context_lines_before,
            context_lines_after,
        )?;
        let column = if inner.line() == 0 {
            inner.column() + self.first_column
        } else {
            inner.column()
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            (inner.span().offset() + self.base, inner.span().len()).into(),
            inner.line() + self.first_line,
            column,
            inner.line_count(),
        )))
    }
}

/// The 0-based line and column (in characters) of byte `offset` in `text`, counting line
/// breaks the way the snippet renderer does: `\n`, `\r` and `\r\n` each end a line, and the
/// `\n` of a `\r\n` belongs to the line it ends.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut before = &text[..offset];
    if before.ends_with('\r') && text[offset..].starts_with('\n') {
        before = &before[..before.len() - 1];
    }
    let lines = before.matches('\n').count() + before.matches('\r').count()
        - before.matches("\r\n").count();
    let start = before.rfind(['\n', '\r']).map_or(0, |i| i + 1);
    (lines, before[start..].chars().count())
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
    fn messages_never_carry_terminal_escapes() {
        let e = Error::invalid("no file `a\u{1b}[2Jb`\nsecond line");
        assert_eq!(e.to_string(), "no file `a\\u{1b}[2Jb`\nsecond line");
        let e = Error::io("read", "x\u{1b}]0;t\u{7}", std::io::Error::other("gone"));
        assert!(!e.to_string().contains('\u{1b}'), "{e}");
    }

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

    /// The same problem with the whole file as its source: what the snippet must look like.
    #[derive(Debug, thiserror::Error, Diagnostic)]
    #[error("{message}")]
    struct Whole {
        message: String,
        #[source_code]
        src: miette::NamedSource<String>,
        #[label("here")]
        span: SourceSpan,
    }

    fn render(d: &dyn Diagnostic) -> String {
        let mut out = String::new();
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .with_width(10_000)
            .render_report(&mut out, d)
            .unwrap();
        out
    }

    #[test]
    fn the_snippet_shows_what_the_whole_file_would() {
        let texts = [
            "a\nbb\nccc\ndddd\neeeee\n",
            "a\r\nbb\r\nccc\r\ndddd\r\neeeee",
            "a\rbb\rccc\rdddd\reeeee\r",
            "é\n\n\nlé bad é\n\nz",
            "one line only",
        ];
        for text in texts {
            for offset in (0..=text.len()).filter(|&o| text.is_char_boundary(o)) {
                let e = Error::at(Path::new("f.inf"), text, offset, 1, "bad");
                let Error::Located(loc) = &e else {
                    unreachable!()
                };
                let whole = Whole {
                    message: loc.to_string(),
                    src: miette::NamedSource::new("f.inf", text.to_string()),
                    span: loc.span,
                };
                assert_eq!(render(&e), render(&whole), "{text:?} at {offset}");
            }
        }
    }

    #[test]
    fn the_snippet_of_a_huge_line_is_a_window() {
        let line = "x".repeat(1 << 20);
        let text = format!("head\n{line}\nnext\n{line}\n");
        let offset = 5 + (1 << 19);
        let e = Error::at_position(
            Path::new("f.inf"),
            &text,
            offset,
            1,
            (2, (1 << 19) + 1),
            "bad",
        );
        let Error::Located(loc) = &e else {
            unreachable!()
        };
        assert!(
            loc.src.text.len() <= 2 * Snippet::REACH + 1,
            "{}",
            loc.src.text.len()
        );
        let shown = render(&e);
        assert!(shown.contains("[f.inf:2:524289]"), "{shown:.300}");
        // The window and the label line under it, not a megabyte.
        assert!(shown.len() < 5 * Snippet::REACH, "{}", shown.len());
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
