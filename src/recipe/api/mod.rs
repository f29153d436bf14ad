//! The recipe API: Rust functions registered into Rhai, one file per namespace.
//!
//! Every function is registered with parameter names and a one-sentence doc comment, so
//! `aero-recipe api` and the language-server definitions are generated from here.

mod core;
mod drivers;
pub mod handles;
mod inf;
mod media;
mod params;
mod spec;
mod unattend;
mod virtio_win;

use std::rc::Rc;

use rhai::{Engine, FnNamespace, FuncRegistration, Module};

use super::context::RunContext;
use super::errors::{to_rhai, RhaiResult};
use crate::error::{Error, Result};

/// The run context as API closures see it (absent in the engine used for `api`).
#[derive(Clone)]
pub(crate) struct Ctx(Option<Rc<RunContext>>);

impl Ctx {
    pub(crate) fn get(&self) -> RhaiResult<&RunContext> {
        self.0
            .as_deref()
            .ok_or_else(|| to_rhai(Error::invalid("recipe functions need a run")))
    }
}

/// Register one function into `module` with its parameter names and doc sentence.
/// `method` functions are callable with method syntax (`value.name(...)`).
pub(crate) fn reg<A: 'static, const N: usize, const X: bool, R, const F: bool, FUNC>(
    module: &mut Module,
    name: &str,
    params: &[&str],
    doc: &str,
    method: bool,
    func: FUNC,
) where
    R: rhai::Variant + Clone,
    FUNC: rhai::RhaiNativeFunc<A, N, X, R, F> + 'static,
{
    FuncRegistration::new(name)
        .with_namespace(if method {
            FnNamespace::Global
        } else {
            FnNamespace::Internal
        })
        .with_params_info(params)
        .with_comments([format!("/// {doc}")])
        .with_volatility(true)
        .set_into_module(module, func);
}

/// Register every namespace into `engine`.
pub fn register(engine: &mut Engine, ctx: Option<&Rc<RunContext>>) {
    let ctx = Ctx(ctx.cloned());
    core::register(engine, &ctx);
    params::register(engine, &ctx);
    inf::register(engine, &ctx);
    spec::register(engine, &ctx);
    media::register(engine, &ctx);
    drivers::register(engine, &ctx);
    virtio_win::register(engine, &ctx);
    unattend::register(engine, &ctx);
}

/// Render the API reference from the registrations.
pub fn reference(engine: &Engine) -> Result<String> {
    let json = engine
        .gen_fn_metadata_to_json(false)
        .map_err(|e| Error::invalid(format!("cannot list the API: {e}")))?;
    let v: serde_json::Value = serde_json::from_str(&json)
        .map_err(|e| Error::invalid(format!("cannot list the API: {e}")))?;
    let mut lines: Vec<(String, String)> = Vec::new();
    let mut add = |ns: &str, f: &serde_json::Value| {
        let name = f["name"].as_str().unwrap_or("?");
        // Property and index access (`p.os`) are documented with the function that returns
        // the value (`params`), not as functions of their own.
        if name.starts_with("index$") || name.starts_with("get$") || name.starts_with("set$") {
            return;
        }
        let params: Vec<String> = f["params"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    .map(|p| match (p["name"].as_str(), p["type"].as_str()) {
                        (Some(n), Some(t)) => format!("{n}: {t}"),
                        (Some(n), None) => n.to_string(),
                        (None, Some(t)) => t.to_string(),
                        _ => "_".into(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let ret = f["returnType"]
            .as_str()
            .filter(|r| !r.is_empty() && *r != "()")
            .map(|r| format!(" -> {r}"))
            .unwrap_or_default();
        let is_method = f["namespace"].as_str() == Some("global") && !ns.is_empty();
        let head = if is_method {
            let (recv, rest) = params
                .split_first()
                .map(|(r, rest)| (r.clone(), rest.to_vec()))
                .unwrap_or_default();
            let recv_ty = recv.split(": ").nth(1).unwrap_or(&recv).to_string();
            format!("{recv_ty}.{name}({}){ret}", rest.join(", "))
        } else if ns.is_empty() {
            format!("{name}({}){ret}", params.join(", "))
        } else {
            format!("{ns}::{name}({}){ret}", params.join(", "))
        };
        let doc: Vec<String> = f["docComments"]
            .as_array()
            .map(|d| {
                d.iter()
                    .filter_map(|c| c.as_str())
                    .map(|c| c.trim_start_matches("///").trim().to_string())
                    .collect()
            })
            .unwrap_or_default();
        lines.push((head, doc.join(" ")));
    };
    if let Some(fs) = v["functions"].as_array() {
        for f in fs {
            add("", f);
        }
    }
    if let Some(mods) = v["modules"].as_object() {
        for (ns, m) in mods {
            for f in m["functions"].as_array().into_iter().flatten() {
                add(ns, f);
            }
        }
    }
    lines.sort();
    lines.dedup();
    let mut out = String::new();
    for (head, doc) in lines {
        out.push_str(&head);
        out.push('\n');
        out.push_str("    ");
        out.push_str(if doc.is_empty() {
            "(undocumented)"
        } else {
            &doc
        });
        out.push('\n');
    }
    Ok(out)
}
