mod ci_packages;
mod contract;
mod rules;
mod spec;
mod virtio_win;
