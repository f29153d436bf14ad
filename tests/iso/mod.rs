mod hostile;
mod interop;
mod multi_extent;
mod open_paths;
mod read;
mod structure;
