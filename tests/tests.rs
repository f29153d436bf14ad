//! All integration tests, as one test binary (`cargo test --test tests`). Each area is a
//! module; `util` holds the helpers they share. Run one area with `cargo test --test tests
//! iso::`, one test with its full path.

mod util;

mod catalog;
mod cli;
mod guest;
mod hostile;
mod iso;
mod media;
mod recipe;
mod unattend;
mod validate;
mod virtio_win;
