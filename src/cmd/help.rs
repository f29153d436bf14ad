//! `aero-recipe completions SHELL` and `aero-recipe man`: generated from the argument
//! definitions, so they cannot drift from `--help`.

use std::process::ExitCode;

use aero_recipe::{Error, Result};

/// Print the completion script for `shell`.
pub fn completions(shell: clap_complete::Shell, cli: &mut clap::Command) -> Result<ExitCode> {
    let mut buf = Vec::new();
    clap_complete::generate(shell, cli, "aero-recipe", &mut buf);
    super::out!("{}", String::from_utf8_lossy(&buf))?;
    Ok(ExitCode::SUCCESS)
}

/// Print the manual page (roff).
pub fn man(cli: &clap::Command) -> Result<ExitCode> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(cli.clone())
        .render(&mut buf)
        .map_err(|e| Error::invalid(format!("cannot render the manual page: {e}")))?;
    super::out!("{}", String::from_utf8_lossy(&buf))?;
    Ok(ExitCode::SUCCESS)
}
