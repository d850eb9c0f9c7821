//! The real `chorus` binary, run in temporary folders.

mod browser;
mod commands;
mod custom_facets;
mod docs;
mod eval;
mod explorer;
mod faults;
mod hierarchy;
mod lasting;
mod page;
mod release;
mod report;
mod resume;
mod servers;
mod summary;
mod util;
