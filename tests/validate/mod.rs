mod ci_packages;
mod contract;
mod rules;
mod schema_agreement;
mod spec;
mod virtio_win;
