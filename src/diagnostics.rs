//! Problems of a run: every error and warning collected (with the input file each concerns),
//! not only the first, so a user fixes them all in one round.

use std::fmt;

use crate::error::{Error, Result};

/// One problem, with the input file or directory it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// What is wrong and, where useful, what to do.
    pub message: String,
    /// The file or directory concerned, relative to the input (`x64/viostor/viostor.inf`).
    pub file: Option<String>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.file {
            Some(file) => write!(f, "{file}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// Every error and warning of a validation, in a stable order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Problems that stop the media from being built.
    pub errors: Vec<Problem>,
    /// Problems worth telling the user about that do not stop the build.
    pub warnings: Vec<Problem>,
}

impl Report {
    /// Record an error.
    pub fn error(&mut self, file: Option<String>, message: impl Into<String>) {
        self.errors.push(Problem {
            message: message.into(),
            file,
        });
    }

    /// Record a warning.
    pub fn warn(&mut self, file: Option<String>, message: impl Into<String>) {
        self.warnings.push(Problem {
            message: message.into(),
            file,
        });
    }

    /// Append another report's problems.
    pub fn merge(&mut self, other: &Report) {
        self.errors.extend(other.errors.iter().cloned());
        self.warnings.extend(other.warnings.iter().cloned());
    }

    /// Whether there are no errors.
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// The warnings when there are no errors, else one error carrying every error.
    pub fn into_result(self) -> Result<Vec<Problem>> {
        if self.errors.is_empty() {
            return Ok(self.warnings);
        }
        let n = self.errors.len();
        let problems = self
            .errors
            .into_iter()
            .map(|p| Error::invalid(p.to_string()))
            .collect();
        Err(Error::many(
            format!("driver validation found {n} error(s)"),
            problems,
        ))
    }
}
