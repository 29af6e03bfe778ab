//! The error-analysis method as plain Rust types: label events, the codebook, saturation.
//! Nothing here imports egui.

pub mod agreement;
pub mod axial;
pub mod cluster;
pub mod codebook;
pub mod first_failure;
pub mod labels;
pub mod lexicon;
pub mod pareto;
pub mod regression;
pub mod report;
pub mod sampling;
pub mod time;

pub use codebook::{Category, Codebook, CodebookError, Severity};
pub use labels::{LabelEvent, Labels, Saturation, Verdict};
