//! drivers: filled in by its issue.
