mod aero_dropin;
mod boundary;
mod bundled;
mod errors;
mod interrupt;
mod sandbox;
mod unattend;
mod virtio_win;
