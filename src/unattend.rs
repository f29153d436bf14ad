//! unattend: filled in by its issue.
