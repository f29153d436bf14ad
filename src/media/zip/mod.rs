//! ZIP archives: [`write`](mod@write) makes deterministic ones from a [`crate::media::Media`];
//! [`read`](mod@read) is the one hardened reader for every ZIP the tool reads.

mod blocks;
mod deflate;
mod format;
pub mod read;
mod segment;
pub mod write;

pub use read::{entry_name_problem, read_sources, ZipContents, ZipEntry, ZipFile, ZipReader};
pub use write::{write_zip, ZipOptions, CHUNK, WINDOW_BYTES};
