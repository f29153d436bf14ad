//! aero-recipe: builds Windows guest media for virtual machines.
//!
//! Data flows one way: input -> [`drivers::DriverSet`] -> checks ([`validate`], [`policy`])
//! -> [`media::Media`] -> writers ([`media::iso`], [`media::zip`], [`media::manifest`]).
//! Recipes ([`recipe`]) orchestrate these pieces from Rhai.

pub mod arch;
pub mod build_date;
pub mod catalog;
pub mod ci_packages;
pub mod contract;
pub mod devices_cmd;
pub mod diagnostics;
pub mod drivers;
pub mod error;
pub mod fswalk;
pub mod guest_tools;
pub mod hash;
pub mod inf;
pub mod input;
pub mod keys;
pub mod known;
pub mod media;
#[cfg(test)]
mod module_graph;
pub mod policy;
pub mod ps2;
pub mod recipe;
pub mod regular;
pub mod spec;
pub mod suggest;
pub mod unattend;
pub mod validate;
pub mod virtio_win;
pub mod winpath;

pub use error::{Error, Result};
