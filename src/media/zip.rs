//! media::zip: filled in by the media issue.
