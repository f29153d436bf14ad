//! `params(#{...})` and `param::` in recipes: typed parameter declarations and the merged
//! parameters a recipe reads as `p.name`.

use rhai::{Array, Dynamic, Engine, EvalAltResult, Map, Module, NativeCallContext};

use super::{reg, Ctx};
use crate::error::Error;
use crate::recipe::errors::{rr, rr_at, to_rhai, DescribeStop, RhaiResult};
use crate::recipe::params::{Decl, Decls, Kind, Params};

fn decl(kind: Kind, default: Dynamic, doc: &str) -> Decl {
    Decl::new(kind, default, doc)
}

pub(super) fn register(engine: &mut Engine, ctx: &Ctx) {
    engine.register_type_with_name::<Decl>("Param");
    engine.register_type_with_name::<Params>("Params");
    engine.register_indexer_get(|p: &mut Params, name: &str| -> RhaiResult<Dynamic> {
        rr(p.get(name))
    });
    engine.register_indexer_set(
        |p: &mut Params, name: &str, value: Dynamic| -> RhaiResult<()> {
            rr(p.set(name, &value)
                .map_err(|e| e.context(format!("p.{name}"))))
        },
    );

    let mut m = Module::new();
    let c = ctx.clone();
    reg(
        &mut m,
        "params",
        &["declarations: Map", "Params"],
        "Declare the recipe's parameters (each a param::<type>(default, description)); returns them typed and merged with `--set KEY=VALUE`, read as p.name (a name not declared is an error naming the nearest).",
        true,
        move |nc: NativeCallContext, declarations: Map| -> RhaiResult<Params> {
            let run = c.get()?;
            if run.decls.borrow().is_some() {
                return Err(to_rhai(Error::invalid("params() was called twice; declare all parameters in one call")));
            }
            let decls = rr_at(&nc, Decls::from_map(&declarations))?;
            *run.decls.borrow_mut() = Some(decls.clone());
            if run.describe_only {
                return Err(EvalAltResult::ErrorTerminated(Dynamic::from(DescribeStop), nc.call_position()).into());
            }
            if let Some(ast) = run.ast.borrow().as_ref() {
                rr_at(&nc, crate::recipe::lint::param_keys(&run.recipe, ast, &decls))?;
            }
            let params = rr_at(&nc, decls.merge(&run.settings))?;
            rr_at(&nc, run.check_inputs(&decls, &params))?;
            rr_at(&nc, run.allow_outputs(&params))?;
            run.announce_examples(&params);
            *run.params.borrow_mut() = Some(params.clone());
            Ok(params)
        },
    );
    reg(
        &mut m,
        "when",
        &["param: Param", "other: String", "value", "Param"],
        "The parameter applies only when parameter `other` has `value` (e.g. cert only with signing_policy test): otherwise its default is dropped and a value the user sets is refused.",
        true,
        |d: &mut Decl, other: &str, value: Dynamic| -> Decl {
            let mut d = d.clone();
            d.when = Some((other.to_string(), value));
            d
        },
    );
    reg(
        &mut m,
        "example",
        &["param: Param", "Param"],
        "The default is a bundled example (placeholder drivers, a test certificate), not a real input: a run on it warns naming the parameter (the outputs stay those of the same files given with --set).",
        true,
        |d: &mut Decl| -> Decl {
            let mut d = d.clone();
            d.example = true;
            d
        },
    );
    reg(
        &mut m,
        "required",
        &["param: Param", "Param"],
        "The parameter has no default: the run fails unless the user sets it.",
        true,
        |d: &mut Decl| -> Decl {
            let mut d = d.clone();
            d.default = None;
            d
        },
    );
    engine.register_global_module(m.into());

    let mut m = Module::new();
    reg(
        &mut m,
        "text",
        &["default: String", "description: String", "Param"],
        "Declare a parameter: Free text; () for none unless set.",
        false,
        |default: Dynamic, description: &str| -> Decl { decl(Kind::Text, default, description) },
    );
    reg(
        &mut m,
        "int",
        &["default: i64", "description: String", "Param"],
        "Declare a parameter: A whole number.",
        false,
        |default: Dynamic, description: &str| -> Decl { decl(Kind::Int, default, description) },
    );
    reg(
        &mut m,
        "flag",
        &["default: bool", "description: String", "Param"],
        "Declare a parameter: true or false (also yes/no, on/off, 1/0 on the command line).",
        false,
        |default: Dynamic, description: &str| -> Decl { decl(Kind::Flag, default, description) },
    );
    reg(
        &mut m,
        "list",
        &["default: Array", "description: String", "Param"],
        "Declare a parameter: A list of strings: a comma list or a JSON array on the command line.",
        false,
        |default: Dynamic, description: &str| -> Decl { decl(Kind::List, default, description) },
    );
    reg(
        &mut m,
        "path",
        &["default: String", "description: String", "Param"],
        "Declare a parameter: An input file or directory (looked up in the working directory, next to the recipe, then in the bundled files; a path the user sets must exist); () for none.",
        false,
        |default: Dynamic, description: &str| -> Decl { decl(Kind::Path, default, description) },
    );
    reg(
        &mut m,
        "out_dir",
        &["default: String", "description: String", "Param"],
        "Declare a parameter: A directory the run writes its outputs into: the only places a recipe may write.",
        false,
        |default: Dynamic, description: &str| -> Decl { decl(Kind::OutDir, default, description) },
    );
    reg(
        &mut m,
        "os",
        &["default: String", "description: String", "Param"],
        "Declare a parameter: A Windows version (w7, w10, w11, 2k22, ...; aliases such as win10 or server2022), kept as the upstream directory name.",
        false,
        |default: Dynamic, description: &str| -> Decl { decl(Kind::Os, default, description) },
    );
    reg(
        &mut m,
        "arch",
        &["default: String", "description: String", "Param"],
        "Declare a parameter: One architecture (x86, amd64, arm64; aliases x64, win32, aarch64, ...), kept canonical.",
        false,
        |default: Dynamic, description: &str| -> Decl { decl(Kind::Arch, default, description) },
    );
    reg(
        &mut m,
        "arch_list",
        &["default: Array", "description: String", "Param"],
        "Declare a parameter: A list of architectures, canonical and without repeats.",
        false,
        |default: Dynamic, description: &str| -> Decl { decl(Kind::Arches, default, description) },
    );
    reg(
        &mut m,
        "signing_policy",
        &["default: String", "description: String", "Param"],
        "Declare a parameter: a signing policy (test, production, none; aliases testsigning, whql, nointegritychecks, ...), kept canonical.",
        false,
        |default: Dynamic, description: &str| -> Decl { decl(Kind::SigningPolicy, default, description) },
    );
    reg(
        &mut m,
        "sha256",
        &["description: String", "Param"],
        "Declare a parameter: an optional SHA-256 pin (64 hex digits; `sha256:` prefix accepted), () unless set.",
        false,
        |description: &str| -> Decl { decl(Kind::Sha256, Dynamic::UNIT, description) },
    );
    reg(
        &mut m,
        "pins",
        &["description: String", "Param"],
        "Declare a parameter: SHA-256 pins per architecture (amd64=<sha256>,x86=<sha256>, or one bare SHA-256 for a single architecture), a map keyed by canonical arch; empty unless set.",
        false,
        |description: &str| -> Decl { decl(Kind::Pins, Dynamic::from_map(Map::new()), description) },
    );
    reg(
        &mut m,
        "choice",
        &[
            "default: String",
            "choices: Array",
            "description: String",
            "Param",
        ],
        "Declare a parameter: one of the words in `choices` (compared case-insensitively).",
        false,
        |nc: NativeCallContext,
         default: Dynamic,
         choices: Array,
         description: &str|
         -> RhaiResult<Decl> {
            let words: Vec<String> = choices
                .iter()
                .map(|w| w.to_string().to_ascii_lowercase())
                .collect();
            if words.is_empty() {
                return rr_at(
                    &nc,
                    Err(Error::invalid("param::choice needs at least one choice")),
                );
            }
            Ok(decl(Kind::Choice(words), default, description))
        },
    );
    engine.register_static_module("param", m.into());
}
