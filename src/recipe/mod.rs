//! Rhai recipe runner.
