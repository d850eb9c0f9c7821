//! The data model shared by every chorus stage. No I/O lives here.
//!
//! A [`Conversation`] is what every reader produces and every stage consumes: an id, an optional
//! account id and time, role-tagged messages and a string map of metadata. Its
//! [`Conversation::content_hash`] identifies the content independently of where it was read from,
//! so duplicates and cache entries can be recognised.
#![warn(missing_docs)]

mod conversation;
mod hash;
mod rng;

pub use conversation::{Conversation, Message, Part, Role};
pub use hash::{ContentHash, Hasher};
pub use rng::SeededRng;
