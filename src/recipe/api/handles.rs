//! The Rust values a recipe holds (custom Rhai types), in one place so that each namespace
//! file depends on these and on the core, never on another namespace file.

use std::cell::RefCell;
use std::rc::Rc;

use serde_json::Value;

use crate::contract::Contract;
use crate::drivers::DriverSet;
use crate::guest_tools::Profile;
use crate::inf::Inf;
use crate::input::InputFile;
use crate::media::Media;
use crate::spec::Spec;
use crate::virtio_win::VirtioWin;

/// A driver set.
#[derive(Clone)]
pub struct DriversHandle(pub Rc<DriverSet>);

/// A driver set that passed validation, with the spec that decides what of it ships.
#[derive(Clone)]
pub struct CheckedDrivers {
    /// The validated set.
    pub set: Rc<DriverSet>,
    /// The spec it was validated against.
    pub spec: SpecHandle,
}

/// A loaded packaging spec and its manifest record (base name, SHA-256).
#[derive(Clone)]
pub struct SpecHandle {
    /// The spec.
    pub spec: Rc<Spec>,
    /// `{"path": <base name>, "sha256": ...}`.
    pub record: Value,
}

/// A loaded (possibly service-derived) device contract and its file's manifest record.
#[derive(Clone)]
pub struct ContractHandle {
    /// The contract.
    pub contract: Rc<Contract>,
    /// `{"path": <base name>, "sha256": ...}`.
    pub record: Value,
}

/// A media tree under assembly (clones share the tree); Guest Tools media also carry the
/// publish profile decided from the recipe's parameters.
#[derive(Clone)]
pub struct MediaHandle {
    /// The tree.
    pub media: Rc<RefCell<Media>>,
    /// Set by `media::guest_tools(p)`: output names, package, signing policy.
    pub profile: Option<Rc<Profile>>,
    /// The catalog of each driver INF placed so far, for the manifest.
    pub catalogs: Rc<RefCell<Vec<crate::media::manifest::DriverCatalog>>>,
}

/// Files taken from an input (an ISO or a tree), ready to place on media, each listed by the
/// name it gets there.
#[derive(Clone, Default)]
pub struct Files(pub Rc<Vec<InputFile>>);

/// An opened virtio-win source.
#[derive(Clone)]
pub struct VirtioWinHandle(pub Rc<VirtioWin>);

/// A parsed INF.
#[derive(Clone)]
pub struct InfHandle(pub Rc<Inf>);
