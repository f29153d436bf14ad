//! Driver catalogs: `aero-recipe catalog` against independent oracles (osslsigncode for PE
//! files, a flat hash looked up in `openssl asn1parse` output for INFs), and the catalog
//! checks in recipes.

mod fixtures;
mod oracles;
mod recipes;
