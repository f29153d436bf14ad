//! `aero-recipe iso ls|extract|create`.

use std::path::PathBuf;
use std::process::ExitCode;

use aero_recipe::error::printable;
use aero_recipe::media::iso::{self, IsoOptions, IsoReader};
use aero_recipe::Result;

use super::Context;

/// The `iso` subcommands.
#[derive(clap::Subcommand)]
pub enum IsoCommand {
    /// List files, one per line as `/dir/file`, sorted (control characters in names escaped
    /// as `\n`, `\u{1b}`, ...; `--json` gives the names unchanged).
    Ls {
        /// The ISO image.
        iso: PathBuf,
        /// Print a JSON array of {"path", "size"} instead of lines.
        #[arg(long)]
        json: bool,
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
    ///
    /// Timestamps come from SOURCE_DATE_EPOCH (default 0). The image is written to a
    /// temporary file beside ISO and renamed when complete.
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
pub fn run(ctx: &Context, cmd: &IsoCommand) -> Result<ExitCode> {
    match cmd {
        IsoCommand::Ls { iso, json: true } => {
            let reader = IsoReader::open(iso)?;
            let files: Vec<serde_json::Value> = reader
                .entries()
                .iter()
                .filter(|e| !e.is_dir)
                .map(|e| serde_json::json!({ "path": format!("/{}", e.path), "size": e.size }))
                .collect();
            let text = serde_json::to_string_pretty(&files)
                .map_err(|e| aero_recipe::Error::invalid(format!("cannot render JSON: {e}")))?;
            super::outln!("{text}")?;
        }
        IsoCommand::Ls { iso, json: false } => {
            let reader = IsoReader::open(iso)?;
            let mut out = String::new();
            // Names come from the image: control characters are escaped so that one line is
            // one file (a name holding a newline or an ANSI escape cannot forge lines).
            for e in reader.entries().iter().filter(|e| !e.is_dir) {
                out.push('/');
                out.push_str(&printable(&e.path));
                out.push('\n');
            }
            super::out!("{out}")?;
        }
        IsoCommand::Extract { iso, dest, paths } => {
            // Only the directories leading to and below the requested paths are read.
            let reader = IsoReader::open_paths(iso, paths)?;
            let done = reader.extract(dest, paths)?;
            if !ctx.quiet {
                eprintln!("extracted {} file(s) to {}", done.len(), dest.display());
            }
        }
        IsoCommand::Create {
            dir,
            iso: out,
            volume_id,
        } => {
            let opts = IsoOptions {
                volume_id: volume_id.clone(),
                source_date_epoch: iso::source_date_epoch_from_env()?,
            };
            let media = iso::media_from_dir(dir)?;
            iso::write_iso_file(&media, out, &opts)?;
            if !ctx.quiet {
                eprintln!(
                    "wrote {} ({} file(s), {} bytes of data)",
                    out.display(),
                    media.len(),
                    media.total_size()
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
