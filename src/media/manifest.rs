//! media::manifest: filled in by the media issue.
