//! validate: filled in by its issue.
