//! Windows name rules: names Windows refuses, case folding, and paths that collide when
//! compared the way Windows compares them (case-insensitively).

use std::collections::{BTreeMap, BTreeSet};

/// Why `component` cannot be a file or directory name on Windows, if it cannot.
pub fn windows_name_problem(component: &str) -> Option<String> {
    if component.is_empty() {
        return Some("empty path component".into());
    }
    if component == "." || component == ".." {
        return Some(format!("path component `{component}` is not allowed"));
    }
    if let Some(c) = component
        .chars()
        .find(|c| (*c as u32) < 0x20 || *c == '\u{7f}')
    {
        return Some(format!(
            "name `{}` contains control character U+{:04X}",
            component.escape_debug(),
            c as u32
        ));
    }
    if let Some(c) = component
        .chars()
        .find(|c| matches!(c, '<' | '>' | ':' | '"' | '/' | '\\' | '|' | '?' | '*'))
    {
        return Some(format!(
            "name `{component}` contains `{c}`, which Windows does not allow in file names"
        ));
    }
    if component.ends_with('.') || component.ends_with(' ') {
        return Some(format!(
            "name `{component}` ends with a dot or space, which Windows strips"
        ));
    }
    let base = component
        .split('.')
        .next()
        .unwrap_or("")
        .trim_end()
        .to_ascii_uppercase();
    let reserved = matches!(base.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((base.starts_with("COM") || base.starts_with("LPT"))
            && base.len() == 4
            && matches!(base.as_bytes()[3], b'1'..=b'9'));
    if reserved {
        return Some(format!(
            "name `{component}` uses the reserved Windows device name `{base}`"
        ));
    }
    None
}

/// Why the `/`-separated relative `path` cannot be shipped on Windows media, if it cannot.
pub fn windows_path_problem(path: &str) -> Option<String> {
    if path.starts_with('/') {
        return Some(format!(
            "path `{path}` is absolute; media paths are relative to the media root"
        ));
    }
    path.split('/')
        .find_map(|c| windows_name_problem(c).map(|p| format!("{path}: {p}")))
}

/// Sets of paths that collide when compared case-insensitively (Windows semantics).
///
/// `paths` are `/`-separated file paths; the directories they imply are checked as well, so
/// `A/x` and `a/y` collide on the directory `A`/`a`. Each returned set is sorted.
pub fn case_collisions<'a>(paths: impl IntoIterator<Item = &'a str>) -> Vec<Vec<String>> {
    let mut groups: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for p in paths {
        let mut end = 0;
        for comp in p.split('/') {
            end += comp.len();
            let prefix = &p[..end];
            groups
                .entry(fold_case(prefix))
                .or_default()
                .insert(prefix.to_string());
            end += 1;
        }
    }
    groups
        .into_values()
        .filter(|s| s.len() > 1)
        .map(|s| s.into_iter().collect())
        .collect()
}

/// Case folding used for Windows name comparisons.
pub fn fold_case(s: &str) -> String {
    s.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_names() {
        for bad in [
            "", ".", "..", "a:b", "a*", "CON", "con.txt", "LPT1", "com9.inf", "x.", "x ",
            "a\u{1}b", "a|b",
        ] {
            assert!(
                windows_name_problem(bad).is_some(),
                "{bad:?} should be refused"
            );
        }
        for good in [
            "setup.cmd",
            "COM10",
            "CONSOLE",
            "lpt",
            "Ünïcode名.txt",
            ".hidden",
            "a b",
        ] {
            assert!(
                windows_name_problem(good).is_none(),
                "{good:?} should be accepted"
            );
        }
        assert!(windows_path_problem("/abs").is_some());
        assert!(windows_path_problem("a//b").is_some());
        assert!(windows_path_problem("drivers/amd64/viostor/viostor.inf").is_none());
    }

    #[test]
    fn collisions_include_implied_directories() {
        let sets = case_collisions(["A/x", "a/y", "b", "B", "c"]);
        assert_eq!(
            sets,
            vec![
                vec!["A".to_string(), "a".into()],
                vec!["B".into(), "b".into()]
            ]
        );
    }
}
