//! The `aero-recipe` command line: parse arguments, call the library, render diagnostics.

mod cmd;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

/// Build Windows guest media for virtual machines from Rhai recipes.
///
/// Bundled recipes: run `aero-recipe list`. Recipe functions: run `aero-recipe api`.
/// Outputs are deterministic under SOURCE_DATE_EPOCH.
#[derive(Parser)]
#[command(
    name = "aero-recipe",
    version,
    about,
    long_about = None,
    propagate_version = true,
    after_help = "Examples:\n  aero-recipe list\n  aero-recipe list virtio-win-full\n  aero-recipe run virtio-win-full --set virtio_win=virtio-win.iso --set os=w10\n  aero-recipe run windows-unattend --set virtio_win=virtio-win.iso --set os=w11 --set password=...\n  aero-recipe verify out/virtio-win-full/aero-guest-tools.iso\n  aero-recipe iso ls virtio-win.iso\n\nExit status: 0 success, 1 failure (diagnostic on stderr), 2 usage error."
)]
struct Cli {
    /// Print only errors (no progress, no informational messages).
    #[arg(long, short, global = true)]
    quiet: bool,
    /// Worker threads for parallel work (compression, hashing); default: available cores.
    #[arg(long, short, global = true, value_name = "N")]
    jobs: Option<usize>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a recipe (a path or a bundled name such as `virtio-win-full`).
    Run(cmd::recipe::RunArgs),
    /// List the bundled recipes, or one recipe's parameters with type, default and description.
    List(cmd::recipe::ListArgs),
    /// Compile and lint recipes without running them.
    Check(cmd::recipe::CheckArgs),
    /// Print the reference of every recipe function.
    Api(cmd::recipe::ApiArgs),
    /// Read, extract and create ISO images.
    #[command(subcommand)]
    Iso(cmd::iso::IsoCommand),
    /// Show what aero-recipe sees in INF files.
    ///
    /// Prints each INF's version, models, services, referenced files and warnings. Exits 1,
    /// naming the problems at their lines (the first 20 of each file), when a file is not an
    /// INF or Windows would not read it as written: an unterminated quote, a [Strings] value naming another string, a string over
    /// 4096 characters, a line over 1 MiB. Recipes refuse such INFs the same way.
    Inf(cmd::inf::Args),
    /// Driver catalogs: signer, hash algorithm, OS attributes, and which files they cover.
    ///
    /// PATH is a .cat, an .inf, a package directory or a tree of them. For each INF: the
    /// catalog it names, its signer (subject, thumbprint), and each file it copies as covered,
    /// not covered or not in the package, with the PE machine type. Exits 1 naming the file on
    /// any error: a hash not in the catalog, a binary for another architecture, a wrong signer.
    Catalog(cmd::catalog::Args),
    /// Check every file of media (ISO, ZIP or directory) against its manifest.json.
    Verify(cmd::verify::Args),
    /// Copy a bundled recipe, with the shared modules, specs and contracts, into DIR to edit.
    ///
    /// Run the copy with `aero-recipe run DIR/recipes/NAME.rhai` from anywhere; the bundled
    /// example inputs still resolve. Existing files are never overwritten.
    Init {
        /// The bundled recipe (`aero-recipe list` names them).
        recipe: String,
        /// Where to put `recipes/`, `specs/` and `contracts/` (default: the working directory).
        #[arg(default_value = ".")]
        dir: std::path::PathBuf,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    ///
    /// For bash: aero-recipe completions bash > ~/.local/share/bash-completion/completions/aero-recipe
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) on stdout: aero-recipe man > aero-recipe.1
    Man,
}

/// glibc keeps freed large blocks in per-thread arenas, so peak memory grew with `--jobs`
/// (compression buffers of every worker). Blocks of 128 KiB and more are mapped and unmapped
/// on their own instead: the peak then follows the buffers in use, not the thread count
/// (bench/README.md has the figures).
fn bound_allocator_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tuning; called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

fn main() -> ExitCode {
    bound_allocator_memory();
    let cli = Cli::parse();
    let result = cmd::Context::new(cli.quiet, cli.jobs).and_then(|ctx| match &cli.command {
        Command::Run(a) => cmd::recipe::run(&ctx, a),
        Command::List(a) => cmd::recipe::list(&ctx, a),
        Command::Check(a) => cmd::recipe::check(&ctx, a),
        Command::Api(a) => cmd::recipe::api(&ctx, a),
        Command::Iso(c) => cmd::iso::run(&ctx, c),
        Command::Inf(a) => cmd::inf::run(&ctx, a),
        Command::Catalog(a) => cmd::catalog::run(&ctx, a),
        Command::Verify(a) => cmd::verify::run(&ctx, a),
        Command::Completions { shell } => cmd::help::completions(*shell, &mut Cli::command()),
        Command::Man => cmd::help::man(&Cli::command()),
        Command::Init { recipe, dir } => cmd::recipe::init(&ctx, recipe, dir),
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            cmd::render_error(&e);
            ExitCode::from(if e.is_usage() { 2 } else { 1 })
        }
    }
}
