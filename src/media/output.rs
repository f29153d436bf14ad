//! media::output: filled in by the media issue.
