//! Strict decoding of the maps a recipe passes to Rust: into a typed struct, with every
//! unknown key refused by name, the known keys listed and the closest one suggested.

use rhai::{Dynamic, Map};
use serde::de::{self, DeserializeOwned, Visitor};

use crate::error::{Error, Result};

/// The field names a serde struct accepts, read from its derived `Deserialize`.
pub fn fields_of<T: DeserializeOwned>() -> &'static [&'static str] {
    match T::deserialize(FieldProbe) {
        Err(Probe(Some(fields))) => fields,
        _ => &[],
    }
}

/// Refuse every key of `map` that is not in `known`; `what` names the map in messages
/// (`media.write options`). All unknown keys are reported at once.
pub fn check_keys(what: &str, map: &Map, known: &[&str]) -> Result<()> {
    let problems: Vec<Error> = map
        .keys()
        .filter(|k| !known.contains(&k.as_str()))
        .map(|k| {
            Error::invalid(format!("{what}: unknown key `{k}`"))
                .with_help(crate::suggest::help(k, known.iter().copied()))
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::many(format!("{what}: unknown keys"), problems))
    }
}

/// Decode `map` into `T`, refusing unknown keys (see [`check_keys`]) and values of the wrong
/// type (naming the key).
pub fn decode<T: DeserializeOwned>(what: &str, map: &Map) -> Result<T> {
    check_keys(what, map, fields_of::<T>())?;
    rhai::serde::from_dynamic(&Dynamic::from_map(map.clone()))
        .map_err(|e| Error::invalid(format!("{what}: {}", e.to_string().trim())))
}

/// A deserializer that only records the field list a derived struct asks for.
struct FieldProbe;

#[derive(Debug)]
struct Probe(Option<&'static [&'static str]>);

impl std::fmt::Display for Probe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("field probe")
    }
}

impl std::error::Error for Probe {}

impl de::Error for Probe {
    fn custom<M: std::fmt::Display>(_: M) -> Self {
        Probe(None)
    }
}

impl<'de> de::Deserializer<'de> for FieldProbe {
    type Error = Probe;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> std::result::Result<V::Value, Probe> {
        Err(Probe(None))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> std::result::Result<V::Value, Probe> {
        Err(Probe(Some(fields)))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct Out {
        out_dir: String,
        zip: Option<String>,
        #[serde(default)]
        copies: Vec<String>,
    }

    #[test]
    fn unknown_keys_are_refused_with_the_nearest_name() {
        assert_eq!(fields_of::<Out>(), ["out_dir", "zip", "copies"]);
        let mut m = Map::new();
        m.insert("out_dir".into(), "o".into());
        m.insert("zipp".into(), "x.zip".into());
        let e = decode::<Out>("media.write options", &m).unwrap_err();
        let text = format!("{e:?}");
        assert!(e.to_string().contains("unknown key `zipp`"), "{e}");
        assert!(text.contains("did you mean `zip`?"), "{text}");
        m.remove("zipp");
        m.insert("zip".into(), "x.zip".into());
        let o = decode::<Out>("w", &m).unwrap();
        assert_eq!(
            (o.out_dir.as_str(), o.zip.as_deref(), o.copies.len()),
            ("o", Some("x.zip"), 0)
        );
        m.insert("copies".into(), Dynamic::from(5_i64));
        assert!(decode::<Out>("w", &m).is_err());
    }
}
