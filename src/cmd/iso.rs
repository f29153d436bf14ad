//! `aero-recipe iso ls|extract|create`.

use std::path::PathBuf;
use std::process::ExitCode;

use aero_recipe::Result;

use super::Context;

/// The `iso` subcommands.
#[derive(clap::Subcommand)]
pub enum IsoCommand {
    /// List files, one per line as `/dir/file`, sorted.
    Ls {
        /// The ISO image.
        iso: PathBuf,
    },
    /// Extract files (all, or the given paths and directories) below DEST; nothing escapes DEST.
    Extract {
        /// The ISO image.
        iso: PathBuf,
        /// Destination directory (created if missing).
        dest: PathBuf,
        /// Files or directories inside the image (`/dir/file`); default: everything.
        paths: Vec<String>,
    },
    /// Write a deterministic ISO 9660 + Joliet + Rock Ridge image of a directory.
    Create {
        /// The directory to put on the image.
        dir: PathBuf,
        /// The image to write.
        iso: PathBuf,
        /// Volume label (normalised to ISO 9660 d-characters, at most 32).
        #[arg(long, default_value = "AERO_MEDIA")]
        volume_id: String,
    },
}

/// Run an `iso` subcommand.
pub fn run(_ctx: &Context, _cmd: &IsoCommand) -> Result<ExitCode> {
    Err(aero_recipe::Error::invalid(
        "`iso` is not built yet (issue 3)",
    ))
}
