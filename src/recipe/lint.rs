//! `aero-recipe check`, and the check every run makes before it starts: calls of functions
//! and methods that do not exist (with the nearest name), calls with the wrong number of
//! arguments, unknown namespaces, and `p.name` for a parameter that is not declared. Problems
//! point at the recipe line, all at once, before any input is read.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use rhai::{ASTNode, Engine, Expr, Position, Stmt, AST};

use super::params::Decls;
use super::resolve::RecipeSource;
use crate::error::{Error, Result};

/// Functions the Rhai language itself handles, not listed among registered signatures.
const LANGUAGE: [&str; 11] = [
    "print",
    "debug",
    "type_of",
    "Fn",
    "call",
    "curry",
    "is_def_fn",
    "is_def_var",
    "is_shared",
    "eval",
    "this",
];

/// Known functions: `namespace` ("" for global) -> name -> the argument counts it takes.
#[derive(Default)]
struct Known(BTreeMap<String, BTreeMap<String, BTreeSet<usize>>>);

impl Known {
    fn add_signature(&mut self, ns: &str, sig: &str) {
        let (head, rest) = match sig.split_once('(') {
            Some(x) => x,
            None => return,
        };
        let (ns, name) = match head.rsplit_once("::") {
            Some((n, f)) => (n.to_string(), f.to_string()),
            None => (ns.to_string(), head.to_string()),
        };
        let args = rest.rsplit_once(')').map(|(a, _)| a).unwrap_or(rest);
        self.add(&ns, &name, arity(args));
    }

    fn add(&mut self, ns: &str, name: &str, n: usize) {
        self.0
            .entry(ns.to_string())
            .or_default()
            .entry(name.to_string())
            .or_default()
            .insert(n);
    }

    fn arities(&self, ns: &str, name: &str) -> Option<&BTreeSet<usize>> {
        self.0.get(ns).and_then(|m| m.get(name))
    }

    /// Argument counts of `name` as a method: functions of that name in any namespace (native
    /// methods are registered in their namespace and callable on values anywhere).
    fn method_arities(&self, name: &str) -> Option<BTreeSet<usize>> {
        let all: BTreeSet<usize> = self
            .0
            .values()
            .filter_map(|m| m.get(name))
            .flatten()
            .copied()
            .collect();
        (!all.is_empty()).then_some(all)
    }

    /// Every method name (for suggestions).
    fn method_names(&self) -> Vec<&str> {
        let mut all: Vec<&str> = self.0.keys().flat_map(|ns| self.names(ns)).collect();
        all.sort_unstable();
        all.dedup();
        all
    }

    fn names(&self, ns: &str) -> Vec<&str> {
        self.0
            .get(ns)
            .map(|m| {
                m.keys()
                    .map(String::as_str)
                    .filter(|n| {
                        !n.contains('$')
                            && n.chars()
                                .next()
                                .is_some_and(|c| c.is_alphabetic() || c == '_')
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The number of parameters in a signature's parameter list (`a: T, b: U` -> 2).
fn arity(list: &str) -> usize {
    if list.trim().is_empty() {
        return 0;
    }
    let mut depth = 0i32;
    let mut n = 1;
    for c in list.chars() {
        match c {
            '<' | '(' | '[' => depth += 1,
            '>' | ')' | ']' => depth -= 1,
            ',' if depth == 0 => n += 1,
            _ => {}
        }
    }
    n
}

fn counts(set: &BTreeSet<usize>) -> String {
    let v: Vec<String> = set.iter().map(usize::to_string).collect();
    v.join(" or ")
}

/// Check `ast` (the text of `src`) against what `engine` registers, the functions the recipe
/// and its imports define, and (when known) the declared parameters `decls`.
pub fn check(engine: &Engine, src: &RecipeSource, ast: &AST, decls: Option<&Decls>) -> Result<()> {
    let mut problems = call_problems(engine, src, ast);
    if let Some(d) = decls {
        problems.extend(param_key_problems(src, ast, d));
    }
    finish(src, problems)
}

/// Only the `p.name` check (for `params()`, once the declarations are known).
pub fn param_keys(src: &RecipeSource, ast: &AST, decls: &Decls) -> Result<()> {
    finish(src, param_key_problems(src, ast, decls))
}

fn finish(src: &RecipeSource, problems: Vec<Error>) -> Result<()> {
    if problems.is_empty() {
        Ok(())
    } else {
        let n = problems.len();
        Err(Error::many(
            format!("{}: {n} problem(s) found before running", src.display),
            problems,
        ))
    }
}

fn at(src: &RecipeSource, pos: Position, msg: String) -> Error {
    Error::at_line(
        Path::new(&src.display),
        &src.text,
        pos.line().unwrap_or(1),
        pos.position().unwrap_or(1),
        msg,
    )
}

/// Variables assigned from `params(...)` in the recipe.
fn params_vars(ast: &AST) -> BTreeSet<String> {
    let mut vars = BTreeSet::new();
    ast.walk(&mut |nodes: &[ASTNode]| {
        if let Some(ASTNode::Stmt(Stmt::Var(x, _, _))) = nodes.last() {
            if let Expr::FnCall(call, _) = &x.1 {
                if call.name == "params" && call.namespace.is_empty() {
                    vars.insert(x.0.name.to_string());
                }
            }
        }
        true
    });
    vars
}

fn param_key_problems(src: &RecipeSource, ast: &AST, decls: &Decls) -> Vec<Error> {
    let vars = params_vars(ast);
    let mut problems = Vec::new();
    ast.walk(&mut |nodes: &[ASTNode]| {
        if let Some(ASTNode::Expr(Expr::Dot(bin, _, _))) = nodes.last() {
            if let Expr::Variable(v, _, _) = &bin.lhs {
                if vars.contains(v.1.as_str()) {
                    if let Some((prop, pos)) = first_property(&bin.rhs) {
                        if !decls.0.contains_key(prop) {
                            problems.push(
                                at(
                                    src,
                                    pos,
                                    format!(
                                        "`{}.{prop}`: the recipe declares no parameter `{prop}`",
                                        v.1
                                    ),
                                )
                                .with_help(decls.unknown_help(prop)),
                            );
                        }
                    }
                }
            }
        }
        true
    });
    problems
}

fn call_problems(engine: &Engine, src: &RecipeSource, ast: &AST) -> Vec<Error> {
    let mut known = Known::default();
    for sig in engine.gen_fn_signatures(true) {
        known.add_signature("", &sig);
    }
    for f in ast.iter_functions() {
        known.add("", f.name, f.params.len());
    }
    let mut problems = Vec::new();
    let at = |pos: Position, msg: String| at(src, pos, msg);

    // Imported modules: their functions under their alias.
    let mut unresolved = BTreeSet::new();
    ast.walk(&mut |nodes: &[ASTNode]| {
        if let Some(ASTNode::Stmt(Stmt::Import(x, pos))) = nodes.last() {
            let (expr, alias) = &**x;
            if let Expr::StringConstant(p, _) = expr {
                // A refused or missing import is reported by the run itself, with its reason.
                match engine
                    .module_resolver()
                    .resolve(engine, Some(&src.display), p, *pos)
                {
                    Ok(m) => {
                        for sig in m.gen_fn_signatures_with_mapper(|s| s.into()) {
                            known.add_signature(&alias.name, &sig);
                        }
                    }
                    Err(_) => {
                        unresolved.insert(alias.name.to_string());
                    }
                }
            }
        }
        true
    });

    ast.walk(&mut |nodes: &[ASTNode]| {
        let Some(ASTNode::Expr(expr)) = nodes.last() else {
            return true;
        };
        match expr {
            Expr::FnCall(call, pos) if call.op_token.is_none() => {
                let name = call.name.as_str();
                let ns = if call.namespace.is_empty() {
                    String::new()
                } else {
                    call.namespace.to_string()
                };
                if (ns.is_empty() && LANGUAGE.contains(&name)) || unresolved.contains(&ns) {
                    return true;
                }
                if !ns.is_empty() && !known.0.contains_key(&ns) {
                    let spaces: Vec<&str> = known
                        .0
                        .keys()
                        .filter(|k| !k.is_empty())
                        .map(String::as_str)
                        .collect();
                    problems.push(
                        at(*pos, format!("unknown namespace `{ns}::`"))
                            .with_help(crate::suggest::help(&ns, spaces.iter().copied())),
                    );
                    return true;
                }
                match known.arities(&ns, name) {
                    None => {
                        let shown = if ns.is_empty() {
                            name.to_string()
                        } else {
                            format!("{ns}::{name}")
                        };
                        let names = known.names(&ns);
                        let near = crate::suggest::closest(name, names.iter().copied())
                            .map(|n| {
                                if ns.is_empty() {
                                    format!("did you mean `{n}`? ")
                                } else {
                                    format!("did you mean `{ns}::{n}`? ")
                                }
                            })
                            .unwrap_or_default();
                        problems
                            .push(at(*pos, format!("unknown function `{shown}`")).with_help(
                                format!("{near}`aero-recipe api` lists every function"),
                            ));
                    }
                    Some(set) if !set.contains(&call.args.len()) => {
                        let shown = if ns.is_empty() {
                            name.to_string()
                        } else {
                            format!("{ns}::{name}")
                        };
                        problems.push(at(
                            *pos,
                            format!(
                                "`{shown}` takes {} argument(s), not {}",
                                counts(set),
                                call.args.len()
                            ),
                        ));
                    }
                    Some(_) => {}
                }
            }
            Expr::MethodCall(call, pos) => {
                let name = call.name.as_str();
                if LANGUAGE.contains(&name) {
                    return true;
                }
                match known.method_arities(name).as_ref() {
                    None => {
                        let names = known.method_names();
                        let near = crate::suggest::closest(name, names.iter().copied())
                            .map(|n| format!("did you mean `.{n}(...)`? "))
                            .unwrap_or_default();
                        problems.push(
                            at(*pos, format!("unknown method `.{name}(...)`"))
                                .with_help(format!("{near}`aero-recipe api` lists every method")),
                        );
                    }
                    Some(set)
                        if !set.contains(&(call.args.len() + 1))
                            && !set.contains(&call.args.len()) =>
                    {
                        let takes: BTreeSet<usize> =
                            set.iter().filter(|n| **n > 0).map(|n| n - 1).collect();
                        problems.push(at(
                            *pos,
                            format!(
                                "`.{name}(...)` takes {} argument(s), not {}",
                                counts(&takes),
                                call.args.len()
                            ),
                        ));
                    }
                    Some(_) => {}
                }
            }
            _ => {}
        }
        true
    });
    problems
}

/// The property a chain starts with (`p.os.to_lower()` -> `os`).
fn first_property(e: &Expr) -> Option<(&str, Position)> {
    match e {
        Expr::Property(x, pos) => Some((x.2.as_str(), *pos)),
        Expr::Dot(bin, _, _) | Expr::Index(bin, _, _) => first_property(&bin.lhs),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arity_counts_top_level_commas() {
        assert_eq!(arity(""), 0);
        assert_eq!(arity("a: String"), 1);
        assert_eq!(arity("a: Map, b: Array<String, i64>"), 2);
    }
}
