//! The egui panels. Each draws over the state it is given and returns the actions the user
//! asked for; `app.rs` applies them after the frame. No business logic lives here.

pub mod axial;
pub mod chips;
pub mod codebook;
pub mod coding;
pub mod detail;
pub mod dialogs;
pub mod filter;
pub mod fonts;
pub mod menu;
pub mod pareto;
pub mod remote_table;
pub mod rich;
pub mod spans;
pub mod split;
pub mod table;
pub mod theme;
pub mod weekly;

/// A combo box over `options` (value, label), showing the chosen one's label; whether the choice
/// changed.
pub fn choice<T: PartialEq + Copy>(
    ui: &mut egui::Ui,
    combo: egui::ComboBox,
    value: &mut T,
    options: &[(T, &str)],
) -> bool {
    let shown = options
        .iter()
        .find(|(v, _)| v == value)
        .map_or("", |(_, label)| *label);
    let mut changed = false;
    combo.selected_text(shown).show_ui(ui, |ui| {
        for (v, label) in options {
            changed |= ui.selectable_value(value, *v, *label).changed();
        }
    });
    changed
}
