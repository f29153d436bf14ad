//! Where recipes, their modules and their relative input paths come from.
//!
//! A recipe is a file path or a bundled name. Relative input paths resolve against the working
//! directory first, then next to the recipe (its directory and the project root above a
//! `recipes/` directory), then against the bundled copies embedded in the binary.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use rhai::{Engine, EvalAltResult, Module, ModuleResolver, Position, Scope, Shared};

use super::assets;
use super::sandbox::Places;
use crate::error::{Error, IoContext, Result};

/// A recipe's text and where it came from.
#[derive(Debug, Clone)]
pub struct RecipeSource {
    /// How messages name the recipe (`recipes/virtio-win-full.rhai`, or the path as given).
    pub display: String,
    /// The recipe text.
    pub text: String,
    /// The directory holding the recipe (on disk, or inside the unpacked bundled copy).
    pub dir: PathBuf,
}

/// Find a recipe by path or bundled name (`virtio-win-full` or `virtio-win-full.rhai`).
pub fn find_recipe(arg: &str) -> Result<RecipeSource> {
    let as_path = Path::new(arg);
    if as_path.is_file() {
        return load(as_path, arg.to_string());
    }
    let name = arg.strip_suffix(".rhai").unwrap_or(arg);
    let is_plain_name = !name.is_empty() && !name.contains(['/', '\\']);
    if is_plain_name {
        let local = Path::new("recipes").join(format!("{name}.rhai"));
        if local.is_file() {
            return load(&local, format!("recipes/{name}.rhai"));
        }
        if assets::bundled_recipe_names().iter().any(|n| n == name) {
            let path = assets::embedded_root()?
                .join("recipes")
                .join(format!("{name}.rhai"));
            return load(&path, format!("{name}.rhai (bundled)"));
        }
    }
    let bundled = assets::bundled_recipe_names();
    let near = crate::suggest::did_you_mean(name, bundled.iter().map(String::as_str));
    Err(Error::invalid(format!(
        "no recipe `{arg}`: it is neither a file nor a bundled recipe"
    ))
    .with_help(format!("{near}bundled recipes: {}", bundled.join(", ")))
    .usage())
}

fn load(path: &Path, display: String) -> Result<RecipeSource> {
    let text = std::fs::read_to_string(path).with_path("read", path)?;
    let abs = std::path::absolute(path).with_path("resolve", path)?;
    let dir = abs.parent().map(Path::to_path_buf).unwrap_or_default();
    Ok(RecipeSource { display, text, dir })
}

/// Resolves relative input paths for one run, and keeps its reads inside the places it may
/// read: the working directory, the recipe tree, the bundled files and the paths the user
/// passed in settings (all compared after symbolic links are resolved).
#[derive(Debug, Clone)]
pub struct PathResolver {
    bases: Vec<PathBuf>,
    readable: Places,
}

impl PathResolver {
    /// Bases for a recipe in `recipe_dir`: the working directory, the recipe's directory, the
    /// project root above a `recipes/` directory, then the bundled copies.
    pub fn new(recipe_dir: &Path) -> Result<Self> {
        let cwd =
            std::env::current_dir().map_err(|e| Error::io("read", "the working directory", e))?;
        let mut bases = vec![cwd, recipe_dir.to_path_buf()];
        if recipe_dir.file_name().is_some_and(|n| n == "recipes") {
            if let Some(parent) = recipe_dir.parent() {
                bases.push(parent.to_path_buf());
            }
        }
        bases.push(assets::embedded_root()?.to_path_buf());
        bases.dedup();
        let mut readable = Places::default();
        for b in &bases {
            readable.allow_dir(b);
        }
        Ok(PathResolver { bases, readable })
    }

    /// Let the run read the paths the user passed: every setting value (and each
    /// comma-separated or JSON-listed part of one) that names an existing file or directory.
    pub fn allow_user_paths(&mut self, values: &[String]) {
        for v in values {
            for part in std::iter::once(v.as_str()).chain(v.split(',')) {
                let part = part.trim();
                if !part.is_empty() && Path::new(part).exists() {
                    self.readable.allow_existing(Path::new(part));
                }
            }
        }
    }

    fn confined(&self, p: &str, found: PathBuf) -> Result<PathBuf> {
        if self.readable.contains(&found) {
            return Ok(found);
        }
        Err(Error::invalid(format!(
            "input `{p}` is outside the places this run may read{}",
            match std::fs::canonicalize(&found) {
                Ok(real) if real != found => format!(" (it resolves to {})", real.display()),
                _ => String::new(),
            }
        ))
        .with_help(format!(
            "a recipe reads the working directory, its own tree, the bundled files and paths given with --set or --params; pass the path as a setting to use it (readable: {})",
            self.readable.describe()
        )))
    }

    /// The existing file or directory `p` names; an error lists the places looked in.
    pub fn input(&self, p: &str) -> Result<PathBuf> {
        if p.is_empty() {
            return Err(Error::invalid("an input path is empty"));
        }
        let path = Path::new(p);
        if path.is_absolute() {
            return if path.exists() {
                self.confined(p, path.to_path_buf())
            } else {
                Err(Error::invalid(format!("input `{p}` does not exist")))
            };
        }
        for base in &self.bases {
            let candidate = base.join(path);
            if candidate.exists() {
                return self.confined(p, candidate);
            }
        }
        Err(Error::invalid(format!("input `{p}` does not exist")).with_help(format!(
            "relative inputs are looked up in the working directory, next to the recipe, and in the bundled files; looked in: {}",
            self.bases.iter().map(|b| b.display().to_string()).collect::<Vec<_>>().join(", ")
        )))
    }
}

/// How deep `import` chains may nest (each level evaluates a module on the native stack).
pub const MAX_IMPORT_DEPTH: usize = 16;

/// Serves `import "lib/x"` from the recipe tree, then the bundled copies; nothing else.
pub struct RecipeModules {
    recipe_dir: PathBuf,
    cache: RefCell<HashMap<String, Shared<Module>>>,
    /// Modules being evaluated, outermost first (an import of one of them is a cycle).
    resolving: RefCell<Vec<String>>,
}

impl RecipeModules {
    /// A resolver for recipes in `recipe_dir`.
    pub fn new(recipe_dir: &Path) -> Self {
        RecipeModules {
            recipe_dir: recipe_dir.to_path_buf(),
            cache: RefCell::default(),
            resolving: RefCell::default(),
        }
    }

    fn text(&self, rel: &str) -> std::result::Result<(String, String), String> {
        let on_disk = self.recipe_dir.join(rel);
        if on_disk.is_file() {
            let mut tree = Places::default();
            tree.allow_dir(&self.recipe_dir);
            if !tree.contains(&on_disk) {
                return Err(format!(
                    "module `{rel}` is a symbolic link out of the recipe tree {}; imports stay inside it",
                    self.recipe_dir.display()
                ));
            }
            return std::fs::read_to_string(&on_disk)
                .map(|t| (t, rel.to_string()))
                .map_err(|e| format!("cannot read {}: {e}", on_disk.display()));
        }
        assets::embedded_text(&format!("recipes/{rel}"))
            .map(|t| (t.to_string(), format!("{rel} (bundled)")))
            .ok_or_else(|| {
                format!(
                    "module `{rel}` is neither in {} nor bundled",
                    self.recipe_dir.display()
                )
            })
    }
}

/// Why an import path is refused (absolute, or climbing out with `..`), if it is.
pub fn import_problem(path: &str) -> Option<String> {
    let p = Path::new(path);
    if p.is_absolute() || path.starts_with('\\') || path.contains(':') {
        return Some(format!(
            "import \"{path}\" is refused: imports must be relative to the recipe tree"
        ));
    }
    if p.components().any(|c| matches!(c, Component::ParentDir))
        || path.split(['/', '\\']).any(|c| c == "..")
    {
        return Some(format!(
            "import \"{path}\" is refused: `..` may not leave the recipe tree"
        ));
    }
    None
}

impl ModuleResolver for RecipeModules {
    fn resolve(
        &self,
        engine: &Engine,
        _source: Option<&str>,
        path: &str,
        pos: Position,
    ) -> std::result::Result<Shared<Module>, Box<EvalAltResult>> {
        if let Some(why) = import_problem(path) {
            return Err(refused(why, pos));
        }
        let rel = if path.ends_with(".rhai") {
            path.to_string()
        } else {
            format!("{path}.rhai")
        };
        if let Some(m) = self.cache.borrow().get(&rel) {
            return Ok(m.clone());
        }
        {
            let stack = self.resolving.borrow();
            if let Some(at) = stack.iter().position(|m| *m == rel) {
                let mut cycle: Vec<&str> = stack[at..].iter().map(String::as_str).collect();
                cycle.push(&rel);
                return Err(refused(
                    format!("import cycle: {}", cycle.join(" -> ")),
                    pos,
                ));
            }
            if stack.len() >= MAX_IMPORT_DEPTH {
                return Err(refused(
                    format!(
                        "imports nest deeper than {MAX_IMPORT_DEPTH} modules ({} -> {rel})",
                        stack.join(" -> ")
                    ),
                    pos,
                ));
            }
        }
        let (text, display) = self.text(&rel).map_err(|why| refused(why, pos))?;
        let mut ast = engine.compile(&text).map_err(|e| {
            let p = e.position();
            Box::new(EvalAltResult::ErrorInModule(
                path.to_string(),
                EvalAltResult::ErrorParsing(*e.0, p).into(),
                pos,
            ))
        })?;
        ast.set_source(display);
        self.resolving.borrow_mut().push(rel.clone());
        let module = Module::eval_ast_as_new(Scope::new(), &ast, engine);
        self.resolving.borrow_mut().pop();
        let module =
            module.map_err(|e| Box::new(EvalAltResult::ErrorInModule(path.to_string(), e, pos)))?;
        let module: Shared<Module> = module.into();
        self.cache.borrow_mut().insert(rel, module.clone());
        Ok(module)
    }
}

fn refused(why: String, pos: Position) -> Box<EvalAltResult> {
    let mut e = super::errors::to_rhai(Error::invalid(why));
    e.set_position(pos);
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_stay_in_the_recipe_tree() {
        assert!(import_problem("/etc/passwd").is_some());
        assert!(import_problem("../x").is_some());
        assert!(import_problem("lib/../../x").is_some());
        assert!(import_problem("C:\\x").is_some());
        assert!(import_problem("lib/guest_tools").is_none());
    }
}
