//! Traces as data: loading dumps, detecting fields, the polars-backed store and views over it.
//! Nothing here imports egui; it builds for wasm and is tested without a window.

pub mod append;
pub mod cats;
pub mod clickhouse;
pub mod columns;
pub mod content;
pub mod decode;
pub mod diff;
pub mod filter;
pub mod formats;
pub mod load;
pub mod markdown;
pub mod raw;
pub mod remote;
pub mod scan;
pub mod schema;
pub mod shared;
pub mod span_facts;
pub mod span_tree;
pub mod spans;
mod split;
pub mod store;
pub mod text;
pub mod view;

pub use load::{LoadError, Loaded, Progress, Source};
pub use schema::{FieldMapping, FieldPath};
pub use store::{Identity, TraceStore};
