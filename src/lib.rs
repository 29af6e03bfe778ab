//! errata: a fast trace viewer for LLM error analysis.
//!
//! Layers, from the bottom: [`trace`] (dumps as polars data), [`coding`] (the method),
//! [`project`] and [`persist`] (a dump's labels and where they live), the [`workspace`] that
//! the window and the headless [`cli`] share, then the egui [`ui`] panels (which return
//! [`action`]s) and the [`app`] that applies them. Only `ui` and `app` import egui; everything
//! below builds and tests without a window, natively and on wasm. ARCHITECTURE.md is the map.

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
