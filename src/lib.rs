//! errata: a fast trace viewer for LLM error analysis.
//!
//! Layers, from the bottom: [`trace`] (dumps as polars data), then the egui [`ui`] panels and
//! the [`app`] that owns state and applies the actions panels return. Only `ui` and `app`
//! import egui; everything below builds and tests without a window, natively and on wasm.

pub mod action;
pub mod app;
#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
pub mod coding;
pub mod demo;
pub mod llm;
pub mod net;
pub mod persist;
pub mod png;
pub mod project;
pub mod synth;
pub mod trace;
pub mod ui;
#[cfg(target_arch = "wasm32")]
pub mod web;
pub mod workspace;

pub use app::ErrataApp;
