//! The real `chorus` binary, run in temporary folders.

mod commands;
mod docs;
mod resume;
mod util;
