//! Tradepost's domain crate.
//!
//! Three layers, outside in:
//! - [`edge`] (wasm32 only): the adapters from Cloudflare's platform (D1, R2, Queues, `fetch`,
//!   the environment) to the traits of [`platform`], and the entry points of every worker.
//! - [`service`] and [`data`]: the request logic's toolkit. A worker declares its route table
//!   ([`service::route`]); handlers see a [`service::Cx`] and the platform only through the
//!   traits of [`platform`]; every SQL statement lives in [`data`], one module per table family.
//!   All of it runs natively too (`testkit` implements the traits over SQLite and memory).
//! - The domain: ids, types, rules, state machines, tokens, passwords, formats, mail texts —
//!   pure functions, no platform at all.

#[macro_use]
mod macros;

pub mod appointment;
pub mod approval;
pub mod catalog;
pub mod complaint;
pub mod connector;
pub mod data;
pub mod digest;
pub mod document;
pub mod error;
pub mod event;
pub mod formats;
pub mod ical;
pub mod ids;
pub mod invoice;
pub mod lang;
pub mod mail;
pub mod notice;
pub mod password;
pub mod payment;
pub mod permissions;
pub mod platform;
pub mod profile;
pub mod quote;
pub mod random;
pub mod relationship;
pub mod secrets;
pub mod service;
pub mod talk;
pub mod task;
pub mod time;
pub mod token;
pub mod tz;
pub mod validate;
pub mod vcard;
pub mod webhook;

#[cfg(target_arch = "wasm32")]
pub mod edge;

pub use error::{Error, Result};
