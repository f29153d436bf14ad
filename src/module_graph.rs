//! Test-only: the crate's modules form no import cycles.
//!
//! Every `src/**/*.rs` file is scanned for paths that name another module (`use crate::x::..`,
//! grouped `use crate::{a, b::c}`, inline `crate::x::y(..)`, `super::` paths, and a parent's
//! `child::f(..)`, resolved).
//! Two graphs are checked: between top-level modules (`src/<x>.rs` or `src/<x>/`), and, inside
//! each top-level module directory, between its submodule files (`recipe/api/core`,
//! `recipe/engine`, ...), where a child naming its own ancestor is not an edge (a child using
//! the types its parent's `mod.rs` defines) but a parent naming its child is. Comments are skipped, so
//! intra-doc links do not count.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A module path relative to the crate root (`["recipe", "api", "core"]`).
type ModPath = Vec<String>;

/// The module path of `rel` (a `/`-separated path under `src/`), or `None` for the crate roots.
fn module_of(rel: &str) -> Option<ModPath> {
    let stem = rel.strip_suffix(".rs")?;
    let mut parts: Vec<String> = stem.split('/').map(str::to_string).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    if parts.is_empty() || parts == ["lib"] || parts == ["main"] {
        return None;
    }
    Some(parts)
}

/// Tokens of Rust source that matter for paths: identifiers, `::`, `{`, `}`, `,`, `;`, `*`
/// (anything else becomes `#`). Comments, string literals (raw ones too) and character
/// literals are skipped, so text in messages and doc links are never read as paths.
fn tokens(text: &str) -> Vec<String> {
    let b: Vec<char> = text.chars().collect();
    let at = |i: usize| b.get(i).copied().unwrap_or('\0');
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == '/' && at(i + 1) == '/' {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
            continue;
        }
        if c == '/' && at(i + 1) == '*' {
            let mut depth = 0usize;
            while i < b.len() {
                if b[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if b[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            continue;
        }
        // Raw strings: r"..", r#".."#, br"..".
        if (c == 'r' || (c == 'b' && at(i + 1) == 'r')) && (i == 0 || !is_ident(b[i - 1])) {
            let mut j = if c == 'b' { i + 2 } else { i + 1 };
            let mut hashes = 0;
            while at(j) == '#' {
                hashes += 1;
                j += 1;
            }
            if at(j) == '"' {
                j += 1;
                loop {
                    if j >= b.len() {
                        break;
                    }
                    if b[j] == '"' && (1..=hashes).all(|k| at(j + k) == '#') {
                        j += 1 + hashes;
                        break;
                    }
                    j += 1;
                }
                out.push("\"\"".into());
                i = j;
                continue;
            }
        }
        if is_ident(c) {
            let start = i;
            while i < b.len() && is_ident(b[i]) {
                i += 1;
            }
            out.push(b[start..i].iter().collect());
            continue;
        }
        if c == ':' && at(i + 1) == ':' {
            out.push("::".into());
            i += 2;
            continue;
        }
        if c == '"' {
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push("\"\"".into());
            continue;
        }
        if c == '\'' {
            // A character literal ('x', '\'', '\u{..}'), else a lifetime or label.
            if at(i + 1) == '\\' {
                let mut j = i + 2;
                while j < b.len() && b[j] != '\'' && j < i + 12 {
                    j += 1;
                }
                i = j + 1;
                out.push("#".into());
                continue;
            }
            if at(i + 2) == '\'' {
                i += 3;
                out.push("#".into());
                continue;
            }
            i += 1;
            continue;
        }
        if matches!(c, '{' | '}' | ',' | ';' | '*') {
            out.push(c.to_string());
        } else if !c.is_whitespace() {
            out.push("#".into());
        }
        i += 1;
    }
    out
}

/// Whether `c` can be part of an identifier.
fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Expand a `use` tree starting at `toks[*i]` with `prefix` into full paths.
fn use_tree(toks: &[String], i: &mut usize, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    let mut path = prefix;
    while let Some(t) = toks.get(*i) {
        match t.as_str() {
            "{" => {
                *i += 1;
                loop {
                    use_tree(toks, i, path.clone(), out);
                    match toks.get(*i).map(String::as_str) {
                        Some(",") => {
                            *i += 1;
                            if toks.get(*i).map(String::as_str) == Some("}") {
                                *i += 1;
                                return;
                            }
                        }
                        Some("}") => {
                            *i += 1;
                            return;
                        }
                        _ => return,
                    }
                }
            }
            "::" => *i += 1,
            "," | "}" | ";" => break,
            "*" => {
                *i += 1;
                break;
            }
            "as" => {
                *i += 2;
                break;
            }
            "self" if !path.is_empty() => *i += 1,
            id => {
                path.push(id.to_string());
                *i += 1;
            }
        }
    }
    out.push(path);
}

/// Every path the file names that starts at `crate`, `super` or `self`, as written.
fn referenced_paths(text: &str) -> Vec<Vec<String>> {
    let toks = tokens(text);
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        if toks[i] == "use" {
            i += 1;
            // `pub(crate) use` and friends are handled by the caller seeing `use` again.
            let mut paths = Vec::new();
            use_tree(&toks, &mut i, Vec::new(), &mut paths);
            out.extend(paths);
            continue;
        }
        let t = toks[i].as_str();
        // Any path start: `crate::`, `super::`, or a name that may be a child module
        // (`core::register(..)` in `api/mod.rs`); the caller keeps only those that resolve.
        let starts = t.chars().all(|c| c.is_alphanumeric() || c == '_')
            && !t.chars().next().is_some_and(|c| c.is_ascii_digit())
            && toks.get(i + 1).map(String::as_str) == Some("::")
            && (i == 0 || toks[i - 1] != "::");
        if starts {
            let mut path = vec![t.to_string()];
            let mut j = i + 1;
            while toks.get(j).map(String::as_str) == Some("::") {
                match toks.get(j + 1) {
                    Some(id) if id.chars().all(|c| c.is_alphanumeric() || c == '_') => {
                        path.push(id.clone());
                        j += 2;
                    }
                    _ => break,
                }
            }
            out.push(path);
            i = j;
            continue;
        }
        i += 1;
    }
    out
}

/// Resolve a written path against the module `at` into an absolute module path (no `crate`).
fn resolve(at: &[String], path: &[String], file_is_mod: bool) -> Option<ModPath> {
    let first = path.first()?;
    match first.as_str() {
        "crate" => Some(path[1..].to_vec()),
        "super" | "self" => {
            // In `x/mod.rs` or `x.rs` alike, `self` is `x` and `super` its parent.
            let _ = file_is_mod;
            let mut base: Vec<String> = at.to_vec();
            let mut rest = path;
            while let Some(s) = rest.first() {
                match s.as_str() {
                    "super" => {
                        base.pop()?;
                    }
                    "self" => {}
                    _ => break,
                }
                rest = &rest[1..];
            }
            base.extend(rest.iter().cloned());
            Some(base)
        }
        _ => None,
    }
}

/// The longest prefix of `path` that is a known module.
fn module_prefix(modules: &BTreeSet<ModPath>, path: &[String]) -> Option<ModPath> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|p| modules.contains(p))
}

/// Every cycle (strongly connected component of more than one node) of `graph`, each as a
/// closed walk `a -> b -> ... -> a`.
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    // Tarjan's algorithm, iteratively deep enough for a crate's module count.
    struct St<'g> {
        g: &'g BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        on: BTreeSet<&'g str>,
        stack: Vec<&'g str>,
        next: usize,
        out: Vec<Vec<&'g str>>,
    }
    fn visit<'g>(s: &mut St<'g>, v: &'g str) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on.insert(v);
        if let Some(ws) = s.g.get(v) {
            for w in ws {
                let w = w.as_str();
                if !s.index.contains_key(w) {
                    visit(s, w);
                    let lw = s.low[w];
                    let lv = s.low[v];
                    s.low.insert(v, lv.min(lw));
                } else if s.on.contains(w) {
                    let iw = s.index[w];
                    let lv = s.low[v];
                    s.low.insert(v, lv.min(iw));
                }
            }
        }
        if s.low[v] == s.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on.remove(w);
                comp.push(w);
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                s.out.push(comp);
            }
        }
    }
    let mut s = St {
        g: graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        on: BTreeSet::new(),
        stack: Vec::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v.as_str());
        }
    }
    s.out
        .iter()
        .map(|comp| {
            // A shortest walk from the first member back to itself inside the component.
            let members: BTreeSet<&str> = comp.iter().copied().collect();
            let start = comp[0];
            let mut prev: BTreeMap<&str, &str> = BTreeMap::new();
            let mut queue = std::collections::VecDeque::from([start]);
            let mut closing = None;
            while let Some(v) = queue.pop_front() {
                for w in graph.get(v).into_iter().flatten() {
                    let w = w.as_str();
                    if !members.contains(w) {
                        continue;
                    }
                    if w == start {
                        closing = Some(v);
                        queue.clear();
                        break;
                    }
                    if !prev.contains_key(w) {
                        prev.insert(w, v);
                        queue.push_back(w);
                    }
                }
            }
            let mut walk = vec![start];
            let mut v = closing.unwrap_or(start);
            while v != start {
                walk.push(v);
                v = prev.get(v).copied().unwrap_or(start);
            }
            walk[1..].reverse();
            walk.push(start);
            format!(
                "{} (strongly connected: {})",
                walk.join(" -> "),
                comp.join(", ")
            )
        })
        .collect()
}

/// `(file, module, referenced module paths)` for every source file under `src`.
fn scan(src: &Path) -> Vec<(String, ModPath, Vec<Vec<String>>)> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(src).sort_by_file_name() {
        let entry = entry.expect("read src/");
        let p = entry.path();
        if p.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let rel = p
            .strip_prefix(src)
            .expect("under src/")
            .to_string_lossy()
            .replace('\\', "/");
        let Some(module) = module_of(&rel) else {
            continue;
        };
        let text = std::fs::read_to_string(p).expect("read source file");
        out.push((rel, module, referenced_paths(&text)));
    }
    out
}

#[test]
fn no_module_cycles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = scan(&src);
    let modules: BTreeSet<ModPath> = files.iter().map(|(_, m, _)| m.clone()).collect();

    let mut top: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut inner: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    let mut evidence: BTreeMap<(String, String), String> = BTreeMap::new();
    for (rel, module, paths) in &files {
        let is_mod = rel.ends_with("/mod.rs");
        top.entry(module[0].clone()).or_default();
        for p in paths {
            // `use child::X` in a parent is relative to the parent (2018 paths).
            let relative = || {
                let mut m = module.clone();
                m.push(p.first()?.clone());
                modules.contains(&m).then(|| {
                    let mut full = module.clone();
                    full.extend(p.iter().cloned());
                    full
                })
            };
            let Some(abs) = resolve(module, p, is_mod).or_else(relative) else {
                continue;
            };
            let Some(target) = module_prefix(&modules, &abs) else {
                continue;
            };
            if target[0] != module[0] {
                top.entry(module[0].clone())
                    .or_default()
                    .insert(target[0].clone());
                evidence
                    .entry((module[0].clone(), target[0].clone()))
                    .or_insert_with(|| format!("{rel} names {}", abs.join("::")));
                continue;
            }
            let ancestor = |a: &ModPath, b: &ModPath| a.len() <= b.len() && b[..a.len()] == a[..];
            // A child using what its parent (or itself) defines is one scope; a parent using
            // its child is a real edge (it closes cycles such as engine -> api -> api/core).
            if ancestor(&target, module) {
                continue;
            }
            let (from, to) = (module.join("/"), target.join("/"));
            inner
                .entry(module[0].clone())
                .or_default()
                .entry(from.clone())
                .or_default()
                .insert(to.clone());
            evidence
                .entry((from, to))
                .or_insert_with(|| format!("{rel} names {}", abs.join("::")));
        }
    }

    let explain = |c: &str| {
        let walk: Vec<&str> = c.split(" (").next().unwrap_or(c).split(" -> ").collect();
        walk.windows(2)
            .map(|w| {
                let key = (w[0].to_string(), w[1].to_string());
                format!(
                    "    {} -> {}: {}",
                    w[0],
                    w[1],
                    evidence.get(&key).map_or("?", String::as_str)
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut found = Vec::new();
    for c in cycles(&top) {
        found.push(format!("top-level modules: {c}\n{}", explain(&c)));
    }
    for (t, g) in &inner {
        for c in cycles(g) {
            found.push(format!("inside `{t}`: {c}\n{}", explain(&c)));
        }
    }
    assert!(
        found.is_empty(),
        "module cycles (no module may import one that imports it back; move the shared \
         concept into its own module):\n{}",
        found.join("\n")
    );
}

#[test]
fn use_trees_and_inline_paths_are_read() {
    let text = "use crate::{a::{self, B}, c::d as e};\nuse super::f::G;\n\
                fn x() { crate::h::i(); } // crate::zz::no\n/* crate::yy */\n\
                let q = '\"'; let s = \"x // crate::no\"; let r = r#\"crate::no\"#;";
    let got = referenced_paths(text);
    let want: Vec<Vec<String>> = [
        vec!["crate", "a"],
        vec!["crate", "a", "B"],
        vec!["crate", "c", "d"],
        vec!["super", "f", "G"],
        vec!["crate", "h", "i"],
    ]
    .iter()
    .map(|v| v.iter().map(|s| s.to_string()).collect())
    .collect();
    assert_eq!(got, want);
    let at: Vec<String> = vec!["recipe".into(), "api".into(), "core".into()];
    assert_eq!(
        resolve(&at, &["super".into(), "spec".into()], false),
        Some(vec!["recipe".into(), "api".into(), "spec".into()])
    );
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("c".into());
    g.entry("c".into()).or_default().insert("a".into());
    g.entry("d".into()).or_default().insert("a".into());
    let c = cycles(&g);
    assert_eq!(c.len(), 1);
    assert!(c[0].starts_with("a -> b -> c -> a"), "{}", c[0]);
}
