//! Media: a virtual tree of destination paths pointing at their bytes, and the writers and
//! readers that turn it into (or read it back from) ISO, ZIP and manifest files.

pub(crate) mod civil;
pub mod copy;
pub mod iso;
pub mod local;
pub mod manifest;
pub mod output;
pub mod publish;
pub mod stamp;
pub mod tree;
pub mod verify;
pub mod verify_set;
pub mod writeback;
pub mod zip;

pub use tree::{Entry, Media, Source};
