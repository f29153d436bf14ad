//! media::verify: filled in by the media issue.
