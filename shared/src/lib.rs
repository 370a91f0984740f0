//! Tradepost's domain crate.
//!
//! Everything outside [`edge`] is platform-free: no `worker`, no HTTP, no storage, so `cargo test`
//! exercises it natively. [`edge`] is the glue every worker shares (requests, responses, auth,
//! D1 helpers, events); it compiles for wasm32 only.

#[macro_use]
mod macros;

pub mod approval;
pub mod digest;
pub mod document;
pub mod error;
pub mod event;
pub mod formats;
pub mod ids;
pub mod lang;
pub mod mail;
pub mod notice;
pub mod password;
pub mod permissions;
pub mod random;
pub mod relationship;
pub mod routing;
pub mod secrets;
pub mod talk;
pub mod time;
pub mod token;
pub mod validate;
pub mod vcard;
pub mod webhook;

#[cfg(target_arch = "wasm32")]
pub mod edge;

pub use error::{Error, Result};
