//! The egui panels. Each draws over the state it is given and returns the actions the user
//! asked for; `app.rs` applies them after the frame. No business logic lives here.

pub mod axial;
pub mod chips;
pub mod codebook;
pub mod coding;
pub mod detail;
pub mod dialogs;
pub mod filter;
pub mod pareto;
pub mod table;
pub mod theme;
pub mod weekly;
