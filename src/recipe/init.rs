//! `aero-recipe init RECIPE [DIR]`: a bundled recipe copied into an editable tree with the
//! shared modules, specs and contracts it may use, so a team starts from a working flow.

use std::path::{Path, PathBuf};

use super::assets;
use crate::error::{Error, IoContext, Result};

/// The bundled files `init` copies for `recipe`: the recipe, every `recipes/lib/` module,
/// every spec and contract (examples stay bundled: paths to them still resolve).
fn files_for(recipe: &str) -> Result<Vec<(String, &'static [u8])>> {
    let name = recipe.strip_suffix(".rhai").unwrap_or(recipe);
    let bundled = assets::bundled_recipe_names();
    if !bundled.iter().any(|n| n == name) {
        let near = crate::suggest::did_you_mean(name, bundled.iter().map(String::as_str));
        return Err(Error::invalid(format!("no bundled recipe `{recipe}`"))
            .with_help(format!("{near}bundled recipes: {}", bundled.join(", ")))
            .usage());
    }
    let wanted = format!("recipes/{name}.rhai");
    Ok(assets::embedded_files()
        .into_iter()
        .filter(|(p, _)| {
            *p == wanted
                || p.starts_with("recipes/lib/")
                || p.starts_with("specs/")
                || p.starts_with("contracts/")
        })
        .collect())
}

/// Copy `recipe` and what it uses into `dir` (created if missing). Nothing is overwritten:
/// when any file already exists, nothing is written and the error lists them all.
pub fn init(recipe: &str, dir: &Path) -> Result<Vec<PathBuf>> {
    let files = files_for(recipe)?;
    let existing: Vec<Error> = files
        .iter()
        .map(|(p, _)| dir.join(p))
        .filter(|p| p.exists())
        .map(|p| Error::invalid(format!("{} already exists", p.display())))
        .collect();
    if !existing.is_empty() {
        return Err(Error::many(
            format!("refusing to overwrite files in {}", dir.display()),
            existing,
        )
        .with_help("choose an empty directory, or move those files away"));
    }
    let mut written = Vec::new();
    for (rel, data) in files {
        let dest = dir.join(&rel);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).with_path("create", parent)?;
        }
        std::fs::write(&dest, data).with_path("write", &dest)?;
        written.push(dest);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_copies_the_recipe_and_what_it_uses_and_overwrites_nothing() {
        let d = tempfile::tempdir().unwrap();
        let written = init("virtio-win-full", d.path()).unwrap();
        for rel in [
            "recipes/virtio-win-full.rhai",
            "recipes/lib/guest_tools.rhai",
            "recipes/lib/virtio.rhai",
            "specs/win7-virtio-full.json",
            "contracts/windows-device-contract-virtio-win.json",
        ] {
            assert!(d.path().join(rel).is_file(), "{rel} missing: {written:?}");
        }
        assert!(!d.path().join("recipes/aero-virtio.rhai").exists());
        let e = init("virtio-win-full", d.path()).unwrap_err();
        assert!(e.to_string().contains("refusing to overwrite"), "{e}");
        let e = init("virtio-win-ful", d.path()).unwrap_err();
        assert!(e.is_usage() && format!("{e:?}").contains("did you mean `virtio-win-full`"));
    }
}
