mod keys;
mod output_atomic;
mod output_interrupt;
mod verify;
mod zip_writer;
