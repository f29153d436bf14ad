//! Driver catalogs and Authenticode: which files a package's signed catalog covers, for which
//! Windows versions, signed by whom, and whether its binaries are built for its architecture.
//!
//! - [`der`]: a bounded DER reader.
//! - [`cert`]: the certificate fields a check needs (subject, issuer, thumbprint).
//! - [`ctl`]: the catalog (PKCS#7 SignedData around a certificate trust list).
//! - [`pe`]: PE machine type and Authenticode digest.
//! - [`os`]: target Windows versions as `OSAttr` names them.
//! - [`check`]: the checks of one driver package (INF + files + catalog) under a policy.
//! - [`scan`]: finding packages in directories for the `catalog` command.
//! - [`set`]: the checks of a whole driver set, for recipe validation and the manifest.

pub mod cert;
pub mod check;
pub mod ctl;
pub mod der;
pub mod os;
pub mod pe;
pub mod report;
pub mod scan;
pub mod set;

pub use cert::Cert;
pub use check::{check_package, PackageCheck, Policy, Severity};
pub use ctl::{Catalog, HashAlg};
pub use os::OsTarget;
