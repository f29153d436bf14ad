//! virtio_win: filled in by its issue.
