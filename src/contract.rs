//! contract: filled in by its issue.
