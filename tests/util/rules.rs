//! Helpers shared by the JSON format tests (`validate::spec`, `validate::contract`): repository files,
//! positioned error messages, and JSON Schema property lists.

use super::repo;
use serde_json::Value;

/// Asserts that some error starts with the position `pos` (`s.json:3:17:`) and says `needle`.
pub fn has(errs: &[String], pos: &str, needle: &str) {
    assert!(
        errs.iter()
            .any(|e| e.starts_with(pos) && e.contains(needle)),
        "no error at {pos} containing {needle:?} in {errs:#?}"
    );
}

/// The JSON Schema file `p` of the repository.
pub fn schema(p: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(repo().join(p)).unwrap()).unwrap()
}

/// The keys of a schema object's `properties`, sorted.
pub fn property_names(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v["properties"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    k.sort();
    k
}

/// `names` as owned strings, sorted.
pub fn sorted(names: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = names.iter().map(|x| x.to_string()).collect();
    v.sort();
    v
}
